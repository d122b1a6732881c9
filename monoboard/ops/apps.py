from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "monoboard.ops"
    label = "ops"

    def ready(self) -> None:
        from datetime import timedelta

        from monoboard.jobs import recurring
        from monoboard.ops import (
            checks,  # noqa: F401  (registers the checks)
            tasks,
        )

        recurring.register("ops.sample_system", tasks.sample_system, timedelta(minutes=1))
        recurring.register("ops.prune_metrics", tasks.prune_metrics, timedelta(hours=6))
