from django.urls import path

from monoboard.realtime import views

app_name = "realtime"
urlpatterns = [
    path("", views.events, name="events"),
]
