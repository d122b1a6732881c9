"""`manage.py exportsite`: the site's content as one database-neutral archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.backup.exports import default_export_name, export_dir, site_export
from monoboard.backup.snapshot import BackupError


class Command(BaseCommand):
    help = (
        "Export users, boards, posts, votes, comments, statuses, tags, attachments and "
        "the other content tables as JSON lines in a zip, with a manifest of checksums."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="the archive's path (default: BACKUP_DIR)")
        parser.add_argument("--no-media", action="store_true", help="leave the uploaded files out")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["output"] or export_dir() / default_export_name()
        try:
            site_export(
                path=path,
                include_media=not options["no_media"],
                progress=not options["no_progress"],
                out=self.stdout,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
