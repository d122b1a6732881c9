"""`manage.py backup`: one archive of the database and the uploaded files (docs/backups.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.backup.services import backup_create, backups_prune
from monoboard.backup.snapshot import BackupError


class Command(BaseCommand):
    help = (
        "Back up the running site (SQLite online backup or pg_dump) and its uploaded files "
        "into one archive with a manifest of per-table counts and checksums."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="the archive's path (default: BACKUP_DIR)")
        parser.add_argument("--dir", type=Path, help="write a dated archive into this folder")
        parser.add_argument("--no-media", action="store_true", help="leave the uploaded files out")
        parser.add_argument(
            "--keep", type=int, default=0, help="afterwards keep only the newest N in the folder"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or Path(settings.BACKUP_DIR)
        try:
            result = backup_create(
                directory=directory,
                path=options["output"],
                include_media=not options["no_media"],
                progress=not options["no_progress"],
                out=self.stdout,
            )
            if options["keep"]:
                for old in backups_prune(directory=result.path.parent, keep=options["keep"]):
                    self.stdout.write(f"Deleted {old.name}")
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = result.manifest["tables"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(tables)} tables ({sum(t['rows'] for t in tables.values())} rows) "
                f"and {len(result.manifest['media']['files'])} files: {result.path}"
            )
        )
