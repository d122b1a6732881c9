from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "monoboard.realtime"
    label = "realtime"
    verbose_name = "Real-time updates"

    def ready(self) -> None:
        from monoboard.boards import effects
        from monoboard.realtime import checks, services

        del checks  # imported for its @register side effect

        effects.subscribe(services.on_domain_event)
        services.register_pruning()
