from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "monoboard.identity"
    label = "identity"
    verbose_name = "Sign-in methods"
