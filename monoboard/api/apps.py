from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "monoboard.api"
    label = "api"
    verbose_name = "JSON API"
