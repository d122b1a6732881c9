from django.urls import path

from monoboard.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signup/", views.signup, name="signup"),
    path("signout/", views.signout, name="signout"),
    path("profile/", views.profile, name="profile"),
    path("setup/", views.setup, name="setup"),
]
