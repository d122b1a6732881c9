from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "monoboard.boards"
    label = "boards"
