"""`manage.py restore ARCHIVE`: put a backup back and verify it (docs/backups.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.backup.services import backup_restore
from monoboard.backup.snapshot import BackupError


class Command(BaseCommand):
    help = (
        "Restore a backup archive into this site's database and file storage (or --target), "
        "then check every table against the archive's manifest. Refuses a database that "
        "holds a site unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--target", default="", help="sqlite:////path or postgres://… (default: this site)"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace the site the target holds"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup_restore(
                archive=options["archive"],
                target_url=options["target"],
                force=options["force"],
                progress=not options["no_progress"],
                out=self.stdout,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("The restored site matches the backup."))
