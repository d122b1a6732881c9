"""At ``make stage2``: say so when a stage-1 site exists and stage 2 is empty.

Without this, the first ``make stage2`` quietly serves a new, empty site
that asks for a new first admin, while the stage-1 site sits in
``var/monoboard.sqlite3``. ``advice`` decides from counts alone (tested
without servers); ``main`` reads the counts, prints the advice, and with
``STAGE2_COPY=1`` runs the ``copysite`` command it names. Nothing is copied
unasked.

    python -m monoboard.ops.stage2copy --source var/monoboard.sqlite3 --media-to DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Advice:
    message: str
    copy: bool = False


def copysite_argv(source: Path, target_url: str) -> list[str]:
    return [
        ".venv/bin/python",
        "manage.py",
        "copysite",
        "--source",
        f"sqlite:///{source.resolve()}",
        "--target",
        target_url,
    ]


def advice(
    *, source: Path, people: int, posts: int, target_tables: int, target_url: str, copy: bool
) -> Advice:
    """What to say (and whether to copy) before stage 2 migrates its database."""
    if people == 0 and posts == 0:
        return Advice("")
    if target_tables:
        if copy:
            return Advice(
                "stage2: STAGE2_COPY=1, but the stage-2 database is not empty: nothing copied."
            )
        return Advice("")
    where = f"{source} ({people} people, {posts} posts)"
    if copy:
        return Advice(f"stage2: STAGE2_COPY=1: copying the stage-1 site in {where} ...", copy=True)
    command = " ".join(copysite_argv(source, target_url))
    return Advice(
        f"""
stage2: the stage-2 database is EMPTY, and a stage-1 site is in {where}.
stage2: Going on serves a NEW, EMPTY site that asks for a new first admin.
stage2: To bring the stage-1 site over, stop this (Ctrl-C) and run
stage2:     STAGE2_COPY=1 make stage2
stage2: or, while stage 2's servers run (before anything is written to it):
stage2:     {command}
"""
    )


def sqlite_counts(path: Path) -> tuple[int, int]:
    """(people, posts) in a stage-1 SQLite file; (0, 0) when there is none."""
    if not path.is_file():
        return 0, 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            people = db.execute("SELECT count(*) FROM accounts_user").fetchone()[0]
            posts = db.execute("SELECT count(*) FROM boards_post").fetchone()[0]
        except sqlite3.Error:
            return 0, 0
    return int(people), int(posts)


def postgres_tables(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="stage 2's first start: offer to copy stage 1")
    parser.add_argument("--source", type=Path, required=True, help="the stage-1 SQLite file")
    parser.add_argument("--media-to", type=Path, help="stage 2's media folder, for the images")
    args = parser.parse_args(argv)
    target_url = os.environ.get("DATABASE_DIRECT_URL") or os.environ["DATABASE_URL"]
    people, posts = sqlite_counts(args.source)
    decided = advice(
        source=args.source,
        people=people,
        posts=posts,
        target_tables=postgres_tables(target_url) if people or posts else 0,
        target_url=target_url,
        copy=os.environ.get("STAGE2_COPY", "") in {"1", "true", "yes"},
    )
    if decided.message:
        print(decided.message, flush=True)
    if not decided.copy:
        return 0
    argv_copy = [sys.executable, *copysite_argv(args.source, target_url)[1:], "--no-progress"]
    if subprocess.run(argv_copy, check=False).returncode != 0:  # noqa: S603  (our own command)
        return 1
    media = args.source.parent / "media"
    if args.media_to and media.is_dir():
        shutil.copytree(media, args.media_to, dirs_exist_ok=True)
        print(f"stage2: images copied from {media} to {args.media_to}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
