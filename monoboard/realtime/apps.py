from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "monoboard.realtime"
    label = "realtime"
    verbose_name = "Real-time updates"

    def ready(self) -> None:
        from monoboard.realtime import checks

        del checks  # imported for its @register side effect
