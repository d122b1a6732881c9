"""``manage.py seed``: add realistic demo data (see monoboard/boards/seeding.py)."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.boards.seeding import FIDER, Plan, PlanError, Seeder, real_content, remove_demo

AMOUNTS = ("users", "boards", "posts", "votes", "comments")


class Command(BaseCommand):
    help = (
        "Add demo users, boards, posts, votes and comments to this site (adds to what is "
        "there). Every demo user's password is 'demo password'. Refuses a site with "
        "boards or posts people made unless --force; --remove deletes what seed made."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Plan()
        for name in AMOUNTS:
            parser.add_argument(
                f"--{name}",
                type=int,
                default=None,
                metavar="N",
                help=f"how many {name} to add (default {getattr(defaults, name)})",
            )
        parser.add_argument(
            "--seed", type=int, default=None, metavar="S", help="random seed, for repeatable data"
        )
        parser.add_argument(
            "--fider",
            action="store_true",
            help="Fider's anchor shape: 500 users, 1 board, 2,000 posts, 20,000 votes, "
            "5,000 comments (other options override it)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed even though the site has boards or posts that people made",
        )
        parser.add_argument(
            "--remove",
            action="store_true",
            help="delete the demo data seed made (marked is_demo), and nothing else",
        )
        parser.add_argument("--no-progress", action="store_true", help="do not draw progress bars")
        parser.add_argument(
            "--no-index", action="store_true", help="skip rebuilding the search index afterwards"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["remove"]:
            self._remove()
            return
        real = real_content()
        if (real["boards"] or real["posts"]) and not options["force"]:
            raise CommandError(
                f"This site already has {_count(real['boards'], 'boards')} and "
                f"{_count(real['posts'], 'posts')} that people made, not seed. Demo data "
                "would be mixed into them. Run with --force to add it anyway (it stays "
                "marked, and `manage.py seed --remove` deletes exactly it)."
            )
        plan = FIDER if options["fider"] else Plan()
        given = {name: options[name] for name in AMOUNTS if options[name] is not None}
        plan = replace(plan, seed=options["seed"], **given)
        progress = not options["no_progress"] and options["verbosity"] >= 1 and sys.stderr.isatty()
        started = time.monotonic()
        try:
            seeded = Seeder(plan, progress=progress).run()
        except PlanError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        parts = [_count(getattr(seeded, name), name) for name in AMOUNTS]
        self.stdout.write(
            self.style.SUCCESS(f"Added {', '.join(parts[:-1])} and {parts[-1]} in {elapsed:.1f} s.")
        )
        if not options["no_index"]:
            # Bulk inserts send no domain events, so search learns of the
            # new posts from a rebuild rather than from after-commit hooks.
            reindex_args = ["--no-progress"] if not progress else []
            call_command("reindex", *reindex_args, stdout=self.stdout)

    def _remove(self) -> None:
        removed = remove_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {_count(removed.posts, 'posts')} (with their votes and comments), "
                f"{_count(removed.boards, 'boards')}, {_count(removed.users, 'users')} and "
                f"{_count(removed.tags, 'tags')} made by seed."
            )
        )
        if removed.kept_boards:
            self.stdout.write(
                f"Kept {_count(removed.kept_boards, 'demo boards')} that people have posted on."
            )
        call_command("reindex", "--no-progress", stdout=self.stdout)


def _count(n: int, plural: str) -> str:
    return f"{n:,} {plural if n != 1 else plural[:-1]}"
