"""Rebuild the search index from scratch: ``manage.py reindex [--batch-size N]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from monoboard.boards.models import Post
from monoboard.search import backend_name, services


class Command(BaseCommand):
    help = "Rebuild the full-text and similar-title search index for every post."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--no-event",
            action="store_true",
            help="Append no search.reindexed event: for a copy that serves nothing yet "
            "(copysite), whose event log must stay equal to its source's.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Post.objects.filter(is_listed=True).count()
        with tqdm(total=total, unit="post", disable=options["no_progress"]) as bar:
            done = services.reindex(
                batch_size=int(options["batch_size"]),
                progress=bar.update,
                announce=not options["no_event"],
            )
        self.stdout.write(f"Indexed {done} posts with the {backend_name()} backend.")
