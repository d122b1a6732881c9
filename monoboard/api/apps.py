from datetime import timedelta

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "monoboard.api"
    label = "api"
    verbose_name = "JSON API"

    def ready(self) -> None:
        from monoboard.api.tasks import prune_idempotency_records, prune_refresh_tokens
        from monoboard.jobs import recurring

        recurring.register(
            "api.prune_idempotency_records", prune_idempotency_records, every=timedelta(hours=1)
        )
        recurring.register(
            "api.prune_refresh_tokens", prune_refresh_tokens, every=timedelta(days=1)
        )
