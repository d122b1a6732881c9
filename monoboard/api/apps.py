from datetime import timedelta

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "monoboard.api"
    label = "api"
    verbose_name = "JSON API"

    def ready(self) -> None:
        from monoboard.api.tasks import prune_idempotency_records
        from monoboard.jobs import recurring

        recurring.register(
            "api.prune_idempotency_records", prune_idempotency_records, every=timedelta(hours=1)
        )
