"""Import speed: a generated Fider database imported by ``manage.py importfrom``.

    .venv/bin/python bench/import_bench.py                      # 100k posts into SQLite
    .venv/bin/python bench/import_bench.py --postgres           # and into PostgreSQL
    .venv/bin/python bench/import_bench.py --posts 10000 --votes-per-post 10

Starts a throwaway PostgreSQL (monoboard/testing/servers.py) on 127.0.0.1,
fills a Fider-shaped database in it (monoboard/testing/fider.py: one tenant,
the given posts, votes and comments per post, a post in three tagged), then
runs the import as a child process into a fresh site: SQLite in a temporary
folder, and with ``--postgres`` a fresh database on the same server. Prints
one table row per target with the wall time of the import (the dry run and
migrations not included) and posts per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAPPING = [
    "--map-status=open=Open",
    "--map-status=planned=Planned",
    "--map-status=started=In progress",
    "--map-status=completed=Done",
    "--map-status=declined=Declined",
]


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def run_target(name: str, database_url: str, source_url: str, folder: Path) -> dict[str, float]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MONOBOARD_DATA_DIR": str(folder / name),
        "SEARCH_BACKEND": "auto",
    }
    manage(env, "migrate", "-v0")
    manage(
        env, "createadmin", "--email", "bench@example.com", "--password", "bench password 1",
        "--no-input",
    )  # fmt: skip
    started, cpu = time.monotonic(), _child_cpu()
    result = manage(
        env, "importfrom", "--from", "fider", "--url", source_url, "--tenant", "bench",
        "--no-progress", *MAPPING,
    )  # fmt: skip
    took, cpu = time.monotonic() - started, _child_cpu() - cpu
    print(f"  {name}: {result.stdout.strip()}", file=sys.stderr)
    return {"seconds": took, "cpu": cpu}


def _child_cpu() -> float:
    """CPU seconds used by finished child processes (the import's, here)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--votes-per-post", type=int, default=2)
    parser.add_argument("--comments-per-post", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="also import into PostgreSQL")
    args = parser.parse_args()

    from monoboard.testing import fider
    from monoboard.testing.servers import postgres_server

    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp, postgres_server() as pg:
        folder = Path(tmp)
        pg.psql(f'CREATE DATABASE fider OWNER "{pg.user}"')
        source_url = pg.url("fider")
        started = time.monotonic()
        fider.generate(
            source_url,
            posts=args.posts,
            users=args.users,
            votes_per_post=args.votes_per_post,
            comments_per_post=args.comments_per_post,
        )
        print(f"Fider database generated in {time.monotonic() - started:.1f} s", file=sys.stderr)
        targets = {"sqlite": f"sqlite:///{folder / 'site.sqlite3'}"}
        if args.postgres:
            pg.psql(f'CREATE DATABASE site OWNER "{pg.user}"')
            targets["postgresql"] = pg.url("site")
        votes = args.posts * args.votes_per_post
        comments = args.posts * args.comments_per_post
        print()
        cpus, python = os.cpu_count(), platform.python_version()
        print(f"Machine: {platform.machine()}, {cpus} CPUs, Python {python}")
        print()
        print(f"Load average before: {os.getloadavg()[0]:.1f}")
        print()
        print(
            "| target | posts | votes | comments | people | seconds | posts/s | rows/s "
            "| import CPU s | posts per CPU s |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, url in targets.items():
            took = run_target(name, url, source_url, folder)
            seconds, cpu = took["seconds"], took["cpu"]
            rows = args.posts + votes + comments + args.users
            print(
                f"| {name} | {args.posts:,} | {votes:,} | {comments:,} | {args.users:,} "
                f"| {seconds:.1f} | {args.posts / seconds:,.0f} | {rows / seconds:,.0f} "
                f"| {cpu:.1f} | {args.posts / cpu:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
