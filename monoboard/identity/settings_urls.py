"""The admins' sign-in settings, mounted at /settings/sign-in/."""

from django.urls import path

from monoboard.identity import views

app_name = "signin_settings"
urlpatterns = [
    path("", views.provider_list, name="providers"),
    path("new/", views.provider_new, name="provider_new"),
    path("<int:pk>/", views.provider_edit, name="provider_edit"),
    path("<int:pk>/delete/", views.provider_delete, name="provider_delete"),
]
