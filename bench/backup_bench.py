"""Time backup, restore, export and import of a seeded site, and print a table.

    .venv/bin/python bench/backup_bench.py --size 100k
    .venv/bin/python bench/backup_bench.py --size 10k --postgres

Seeds a stage-1 SQLite site of the chosen size once (kept under
var/bench/sqlite-<size>, as bench/run.py does), then runs, each as the
``manage.py`` command a person runs and timed from outside:

- ``backup`` of the site (the online backup, per-table checksums, the archive),
- ``restore`` of that archive into a new, empty site (with its verification),
- ``exportsite`` of the site, and ``importsite`` of that export into a new,
  empty SQLite site (migrate, insert, verify, search index).

``--postgres`` also copies the site into a throwaway PostgreSQL (copysite, not
timed) and times ``backup`` (pg_dump) and ``restore`` (pg_restore) there.
The table is printed and written to bench/results/ with the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")

from bench.run import SIZES, machine
from bench.stack import ROOT, manage

Row = tuple[str, str, float, int]  # database, step, seconds, archive bytes


def seeded(size: str) -> dict[str, str]:
    data = ROOT / "var" / "bench" / f"sqlite-{size}"
    env = {"MONOBOARD_DATA_DIR": str(data), "SECRET_KEY": "bench-" + "k" * 50}
    marker = data / "seeded"
    if not marker.exists():
        print(f"seeding {size} (once; kept in {data}) ...", flush=True)
        manage("migrate", "--no-input", "-v", "0", env=env)
        manage("seed", *SIZES[size], "--seed", "7", "--no-progress", env=env, quiet=False)
        marker.write_text(size)
    return env


def timed(step: str, *args: str, env: dict[str, str]) -> float:
    print(f"  {step} ...", flush=True)
    started = time.monotonic()
    manage(*args, env=env)
    return time.monotonic() - started


def site(folder: Path, database_url: str = "") -> dict[str, str]:
    env = {"MONOBOARD_DATA_DIR": str(folder), "SECRET_KEY": "bench-" + "k" * 50}
    if database_url:
        env.update(DATABASE_URL=database_url, DATABASE_DIRECT_URL=database_url, DB_POOL="none")
    return env


def sqlite_rows(env: dict[str, str], work: Path, *, export: bool) -> list[Row]:
    rows: list[Row] = []
    archive, exported = work / "site.tar.gz", work / "site.zip"
    seconds = timed("backup", "backup", "--output", str(archive), "--no-progress", env=env)
    rows.append(("sqlite", "backup (online backup API)", seconds, archive.stat().st_size))
    seconds = timed(
        "restore", "restore", str(archive), "--no-progress", env=site(work / "restored")
    )
    rows.append(("sqlite", "restore into an empty site", seconds, 0))
    if not export:
        return rows
    seconds = timed("exportsite", "exportsite", "--output", str(exported), "--no-progress", env=env)
    rows.append(("sqlite", "exportsite", seconds, exported.stat().st_size))
    seconds = timed(
        "importsite", "importsite", str(exported), "--no-progress", env=site(work / "imported")
    )
    rows.append(("sqlite", "importsite into an empty site", seconds, 0))
    return rows


@contextlib.contextmanager
def postgres() -> Iterator[object]:
    from monoboard.testing.servers import postgres_server

    with postgres_server() as server:
        yield server


def postgres_rows(env: dict[str, str], work: Path) -> list[Row]:
    from monoboard.testing.servers import PostgresServer

    rows: list[Row] = []
    with postgres() as server:
        assert isinstance(server, PostgresServer)
        for name in ("bench_source", "bench_restored"):
            server.psql(f'CREATE DATABASE "{name}" OWNER "{server.user}"')
        source = f"sqlite:///{Path(env['MONOBOARD_DATA_DIR']) / 'monoboard.sqlite3'}"
        print("  copysite into PostgreSQL (not timed) ...", flush=True)
        manage(
            "copysite",
            "--source",
            source,
            "--target",
            server.url("bench_source"),
            "--no-progress",
            env=env,
        )
        archive = work / "pg.tar.gz"
        seconds = timed(
            "backup",
            "backup",
            "--output",
            str(archive),
            "--no-progress",
            env=site(Path(env["MONOBOARD_DATA_DIR"]), server.url("bench_source")),
        )
        rows.append(("postgresql", "backup (pg_dump)", seconds, archive.stat().st_size))
        seconds = timed(
            "restore",
            "restore",
            str(archive),
            "--no-progress",
            env=site(work / "pg-restored", server.url("bench_restored")),
        )
        rows.append(("postgresql", "restore (pg_restore)", seconds, 0))
    return rows


def table(size: str, rows: list[Row]) -> str:
    lines = [
        "| database | step | seconds | archive MB |",
        "|---|---|---:|---:|",
    ]
    for database, step, seconds, size_bytes in rows:
        shown = f"{size_bytes / 1e6:.1f}" if size_bytes else ""
        lines.append(f"| {database} | {step} | {seconds:.1f} | {shown} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="fider")
    parser.add_argument("--postgres", action="store_true", help="also pg_dump and pg_restore")
    parser.add_argument("--no-export", action="store_true", help="skip exportsite and importsite")
    args = parser.parse_args()
    env = seeded(args.size)
    when = datetime.datetime.now(datetime.UTC)
    work = Path(tempfile.mkdtemp(prefix="monoboard-backup-bench-", dir=ROOT / "var" / "bench"))
    try:
        rows = sqlite_rows(env, work, export=not args.no_export)
        if args.postgres:
            rows += postgres_rows(env, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = (
        f"# Backup and restore, {when:%Y-%m-%d %H:%M} UTC, size {args.size} "
        f"({' '.join(SIZES[args.size])})\n\n"
        f"Machine: {machine()}\n\n"
        f"Command: `.venv/bin/python bench/backup_bench.py --size {args.size}"
        f"{' --postgres' if args.postgres else ''}{' --no-export' if args.no_export else ''}`"
        f"\n\n{table(args.size, rows)}\n"
    )
    print("\n" + report)
    out = ROOT / "bench" / "results" / f"{when:%Y%m%d-%H%M}-backup-{args.size}.md"
    out.write_text(report)
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
