from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "monoboard.ops"
    label = "ops"

    def ready(self) -> None:
        from monoboard.ops import checks  # noqa: F401  (registers the checks)
