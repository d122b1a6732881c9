from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "monoboard.accounts"
    label = "accounts"
