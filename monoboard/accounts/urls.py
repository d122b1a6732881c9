from django.urls import path

from monoboard.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signup/", views.signup, name="signup"),
    path("signout/", views.signout, name="signout"),
    path("profile/", views.profile, name="profile"),
    path("setup/", views.setup, name="setup"),
    path("password-reset/", views.reset_request, name="reset_request"),
    path("password-reset/sent/", views.reset_sent, name="reset_sent"),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        views.reset_confirm,
        name="reset_confirm",
    ),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/role/", views.person_role, name="person_role"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/reactivate/", views.person_reactivate, name="person_reactivate"),
]
