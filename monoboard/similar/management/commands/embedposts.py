"""Compute title vectors for posts that have none: ``manage.py embedposts [--all]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from monoboard.similar import embedding, services


class Command(BaseCommand):
    help = (
        "Compute the title vectors semantic duplicate detection uses, for every post "
        "that has none (or one of another model version). Safe to interrupt and run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--all", action="store_true", help="Recompute every post's vector.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            embedding.embed(["warm up"])
        except embedding.ModelUnavailable as error:
            raise CommandError(str(error)) from error
        bar: tqdm[Any] | None = None

        def progress(step: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(
                    total=total, unit="post", disable=options["no_progress"], file=self.stderr
                )
            bar.update(step)

        done = services.vectors_backfill(
            batch_size=options["batch_size"], redo_all=options["all"], progress=progress
        )
        if bar is not None:
            bar.close()
        self.stdout.write(f"Computed {done} post vectors ({embedding.MODEL_VERSION}).")
