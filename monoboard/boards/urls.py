from django.urls import path

from monoboard.boards import views

app_name = "boards"
urlpatterns = [
    path("", views.home, name="home"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("settings/", views.settings_home, name="settings"),
]
