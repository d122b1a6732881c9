from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "monoboard.imports"
    label = "imports"

    def ready(self) -> None:
        from monoboard.imports import consumers  # registers the search consumer

        del consumers
