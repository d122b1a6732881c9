"""The import pages, mounted at /settings/import/."""

from django.urls import path

from monoboard.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:run_id>/", views.run, name="run"),
]
