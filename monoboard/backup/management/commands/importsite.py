"""`manage.py importsite ARCHIVE`: an exportsite archive into this empty site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.backup.exports import site_import
from monoboard.backup.snapshot import BackupError


class Command(BaseCommand):
    help = (
        "Import an exportsite archive into this site (SQLite or PostgreSQL), which must "
        "be empty, and check every table against the archive's checksums."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            result = site_import(
                path=options["archive"],
                batch_size=options["batch_size"],
                progress=not options["no_progress"],
                out=self.stdout,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(c.target_rows for c in result.checks)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.checks)} tables ({rows} rows) and "
                f"{result.files_written} files; every table matches the archive."
            )
        )
