"""The recurring backup (BACKUP_EVERY_HOURS): a backup, then the retention."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.tasks import task

from monoboard.backup.services import backup_create, backups_prune


@task()
def scheduled_backup() -> str:
    """Write a backup into BACKUP_DIR, then keep only the newest BACKUP_KEEP there."""
    directory = Path(settings.BACKUP_DIR)
    result = backup_create(directory=directory)
    backups_prune(directory=directory, keep=int(settings.BACKUP_KEEP))
    return str(result.path)
