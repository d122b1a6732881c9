"""Rebuild the search index from scratch: ``manage.py reindex [--batch-size N]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from monoboard.boards.models import Post
from monoboard.search import backend, backend_name


class Command(BaseCommand):
    help = "Rebuild the full-text and similar-title search index for every post."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, int(options["batch_size"]))
        search = backend()
        search.clear()
        ids = Post.objects.filter(is_listed=True).order_by("pk").values_list("pk", flat=True)
        total = ids.count()
        done = 0
        with tqdm(total=total, unit="post", disable=options["no_progress"]) as bar:
            last = 0
            while True:
                batch = list(ids.filter(pk__gt=last)[:batch_size])
                if not batch:
                    break
                search.index_posts(batch)
                last = batch[-1]
                done += len(batch)
                bar.update(len(batch))
        self.stdout.write(f"Indexed {done} posts with the {backend_name()} backend.")
