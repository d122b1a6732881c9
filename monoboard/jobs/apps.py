from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "monoboard.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import datetime

        from monoboard.jobs import recurring
        from monoboard.jobs.tasks import prune_finished_jobs

        recurring.register("jobs.prune_finished", prune_finished_jobs, datetime.timedelta(hours=1))

        from monoboard.core.tasks import prune_events

        recurring.register("core.prune_events", prune_events, datetime.timedelta(hours=1))
