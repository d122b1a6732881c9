from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "monoboard.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from monoboard.boards.effects import subscribe
        from monoboard.webhooks import subscribers

        subscribe(subscribers.on_domain_event)
