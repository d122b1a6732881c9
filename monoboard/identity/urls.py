from django.urls import path

from monoboard.identity import views

app_name = "identity"
urlpatterns = [
    path("email/", views.email_request, name="email_request"),
    path("email/code/", views.email_code, name="email_code"),
    path("email/<str:public_id>/<str:secret>/", views.email_link, name="email_link"),
    path("oidc/<slug:slug>/", views.oidc_start, name="oidc_start"),
    path("oidc/<slug:slug>/callback/", views.oidc_callback, name="oidc_callback"),
    path("connections/", views.connections, name="connections"),
    path("connections/<int:pk>/unlink/", views.unlink, name="unlink"),
]
