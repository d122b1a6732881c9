"""Move a stage-1 SQLite site into an empty PostgreSQL database (docs/scaling.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.ops.sitecopy import SiteCopyError, copy_site


class Command(BaseCommand):
    help = (
        "Copy every table of a SQLite site into an empty PostgreSQL database, "
        "then verify row counts and checksums table by table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source", required=True, help="sqlite:////absolute/path/monoboard.sqlite3"
        )
        parser.add_argument("--target", required=True, help="postgres://user:pass@host:port/name")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="copy nothing; compare an earlier copy with the source",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            copy_site(
                options["source"],
                options["target"],
                batch_size=options["batch_size"],
                progress=not options["no_progress"],
                verify_only=options["verify_only"],
                out=self.stdout,
            )
        except SiteCopyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("The target matches the source."))
