from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "monoboard.backup"
    label = "backup"

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        from monoboard.backup import tasks
        from monoboard.jobs import recurring

        hours = float(settings.BACKUP_EVERY_HOURS)
        if hours > 0:
            recurring.register("backup.scheduled", tasks.scheduled_backup, timedelta(hours=hours))
