from django.apps import AppConfig


class SSOConfig(AppConfig):
    name = "monoboard.sso"
    label = "sso"
    verbose_name = "Single sign-on and widget"
