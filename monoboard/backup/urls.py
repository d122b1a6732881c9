"""The export pages, mounted at /settings/export/."""

from django.urls import path

from monoboard.backup import views

app_name = "backup"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:name>", views.download, name="download"),
    path("<str:name>/delete/", views.delete, name="delete"),
]
