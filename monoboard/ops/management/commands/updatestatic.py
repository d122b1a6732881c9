"""``collectstatic``, skipped when nothing it reads has changed (ops/staticstamp.py).

``make run``, ``scripts/stage2`` and ``scripts/stage3`` run this at every
start; ``--force`` collects regardless.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from monoboard.ops.staticstamp import is_fresh, sources_fingerprint, stamp_path


class Command(BaseCommand):
    help = "Run collectstatic only when the static sources or installed packages changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="collect even if up to date")

    def handle(self, *args: Any, **options: Any) -> None:
        fingerprint = sources_fingerprint()
        if not options["force"] and is_fresh(fingerprint):
            if options["verbosity"] >= 1:
                self.stdout.write("Static files up to date: collectstatic skipped.")
            return
        if options["verbosity"] >= 1:
            self.stdout.write("Collecting static files (sources changed since the last run)...")
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp_path().write_text(fingerprint + "\n")
