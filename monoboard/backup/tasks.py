"""The recurring backup (BACKUP_EVERY_HOURS): a backup, then the retention."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.tasks import task

from monoboard.backup.services import backup_create, backups_prune

#: How often a running export rewrites its progress file, at most.
PROGRESS_EVERY_S = 0.5


@task()
def scheduled_backup() -> str:
    """Write a backup into BACKUP_DIR, then keep only the newest BACKUP_KEEP there."""
    directory = Path(settings.BACKUP_DIR)
    result = backup_create(directory=directory)
    backups_prune(directory=directory, keep=int(settings.BACKUP_KEEP))
    return str(result.path)


@task()
def export_for_download(name: str, include_media: bool, started_at: str) -> str:
    """Write the export an admin asked for on Settings → Export, with progress."""
    from monoboard.backup import downloads
    from monoboard.backup.exports import export_dir, site_export

    last = [0.0]

    def report(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S or done == total:
            last[0] = now
            downloads.write_progress(
                name, phase=phase, done=done, total=total, started_at=started_at
            )

    report("rows", 0, 0)
    try:
        site_export(path=export_dir() / name, include_media=include_media, on_progress=report)
    finally:
        downloads.clear_progress(name)
    return name
