from datetime import timedelta

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "monoboard.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from monoboard.webhooks import subscribers  # registers its consumer

        del subscribers

        from monoboard.jobs import recurring
        from monoboard.webhooks.tasks import prune_deliveries

        recurring.register("webhooks.prune_deliveries", prune_deliveries, every=timedelta(days=1))
