"""What one write costs the request that makes it: time, queries, write transactions.

    .venv/bin/python bench/write_path.py --ops 200
    .venv/bin/python bench/write_path.py --compare /path/to/other/checkout --ops 200

For each checkout (this one, and with ``--compare`` another, e.g. an older
commit in a git worktree) it starts a child process on a fresh SQLite site
(and, with ``--postgres``, a throwaway PostgreSQL), signs a member in, and
sends votes, comments and new posts through the web pages, as a browser
does. It counts the queries each request runs and the write transactions it
commits (an autocommit write is one; an atomic block with writes is one),
and times each request. The site has one webhook endpoint. Work the jobs
worker does later is not in the request and not counted. Both checkouts run in the same invocation,
alternating, so their ratio is fair on a noisy box.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, statistics, sys, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
call_command("migrate", verbosity=0)
from monoboard.accounts.models import User
from monoboard.boards.models import Board, Post, Status
from monoboard.boards import services

ops = int(sys.argv[1])
admin = User.objects.create_user(email="admin@bench.example.com", password=None, role="admin")
member = User.objects.create_user(email="member@bench.example.com", password=None)
board = services.board_create(actor=admin, name="Features")
posts = [services.post_create(board=board, author=admin, title=f"Seed idea {n}") for n in range(20)]
# One webhook endpoint, as on a site that feeds its chat or tracker.
from monoboard.webhooks.services import endpoint_create
endpoint_create(
    actor=admin, url="https://hooks.example.com/monoboard",
    events=["post.created", "comment.created", "vote.created"],
)
client = Client()
client.force_login(member)
headers = {"accept": "application/json"}


class Counter:
    def __init__(self):
        self.queries = 0
        self.writes_outside = 0
        self.blocks = set()

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if verb in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            if connection.in_atomic_block and connection.atomic_blocks:
                self.blocks.add(id(connection.atomic_blocks[0]))
            else:
                self.writes_outside += 1
        return execute(sql, params, many, context)


def measure(name, send):
    times, cpu, queries, transactions = [], [], [], []
    after_cpu, after_queries = [], []
    # Steady state only: the first requests pay for imports and compiled templates.
    for i in range(10):
        send(ops + i)
    catch_up()
    for i in range(ops):
        counter = Counter()
        with connection.execute_wrapper(counter):
            start, start_cpu = time.perf_counter(), time.thread_time()
            response = send(i)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
        # What the worker then does for this one write (a quiet site: one wake-up each).
        later = Counter()
        with connection.execute_wrapper(later):
            start_cpu = time.thread_time()
            catch_up()
            after_cpu.append((time.thread_time() - start_cpu) * 1000)
        after_queries.append(later.queries)
        assert response.status_code in (200, 201, 302), (name, response.status_code)
        queries.append(counter.queries)
        transactions.append(counter.writes_outside + len(counter.blocks))
    return {
        "name": name,
        "mean_ms": statistics.fmean(times),
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))],
        "cpu_ms": statistics.fmean(cpu),
        "after_cpu_ms": statistics.fmean(after_cpu),
        "after_queries": statistics.fmean(after_queries),
        "queries": statistics.fmean(queries),
        "write_transactions": statistics.fmean(transactions),
    }


def catch_up():
    # The event log's consumers, as the worker runs them after a wake-up
    # (checkouts from before the log have nothing here: their side effects ran
    # in the request). Jobs are not run: both kinds of checkout queue the same ones.
    try:
        from monoboard.core.consumers import drain
    except ImportError:
        return
    drain(everyone=False)


def vote(i):
    post = posts[i % len(posts)]
    return client.post(f"/b/{board.slug}/p/{post.pk}/vote/", headers=headers)


def comment(i):
    post = posts[i % len(posts)]
    return client.post(f"/b/{board.slug}/p/{post.pk}/comments/", {"body": f"Same here {i}"})


def new_post(i):
    return client.post(f"/b/{board.slug}/", {"title": f"Benchmark idea {i} please", "body": "x"})


results = [measure("vote", vote), measure("comment", comment), measure("new post", new_post)]
print(json.dumps(results))
"""


def run(tree: Path, ops: int, database_url: str | None) -> list[dict[str, float | str]]:
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "monoboard.settings",
            "MONOBOARD_DATA_DIR": data,
            "PAGE_CACHE_SECONDS": "10",
            "PYTHONPATH": str(tree),
            "METRICS_ROLLUPS": "false",
            "SLOW_QUERY_LOG": "false",
        }
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ops)],
            cwd=tree, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"{tree}: {out.stderr[-3000:]}")
        rows: list[dict[str, float | str]] = json.loads(out.stdout.strip().splitlines()[-1])
        return rows


def median_row(rounds: list[list[dict[str, float | str]]], i: int) -> dict[str, float | str]:
    """Row ``i`` with each figure the median over the rounds."""
    row: dict[str, float | str] = {"name": str(rounds[0][i]["name"])}
    for key in ("mean_ms", "p95_ms", "cpu_ms", "queries", "write_transactions"):
        row[key] = statistics.median(float(r[i][key]) for r in rounds)
    for key in ("after_cpu_ms", "after_queries"):
        row[key] = statistics.median(float(r[i].get(key, 0)) for r in rounds)
    return row


def table(results: dict[str, list[dict[str, float | str]]]) -> str:
    lines = [
        "| checkout | request | mean ms | p95 ms | CPU ms | queries | write transactions "
        "| worker CPU ms after | worker queries after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, rows in results.items():
        for row in rows:
            lines.append(
                f"| {label} | {row['name']} | {float(row['mean_ms']):.2f} | "
                f"{float(row['p95_ms']):.2f} | {float(row.get('cpu_ms', 0)):.2f} | "
                f"{float(row['queries']):.1f} | "
                f"{float(row['write_transactions']):.1f} | "
                f"{float(row['after_cpu_ms']):.2f} | {float(row['after_queries']):.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=200, help="requests of each kind")
    parser.add_argument("--compare", type=Path, help="another checkout to measure alongside")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per checkout")
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL")
    args = parser.parse_args()
    trees = {"this": ROOT}
    if args.compare:
        trees["compare"] = args.compare.resolve()
    stages: list[tuple[str, str | None]] = [("sqlite", None)]
    server = None
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from monoboard.testing.servers import postgres_server

        server = postgres_server()
        pg = server.__enter__()
        stages.append(("postgres", None))
    try:
        for stage, _ in stages:
            collected: dict[str, list[list[dict[str, float | str]]]] = {k: [] for k in trees}
            for n in range(args.rounds):
                for label, tree in trees.items():
                    url = None
                    if stage == "postgres":
                        name = f"bench_{label}_{n}"
                        pg.psql(f'CREATE DATABASE "{name}" OWNER "{pg.user}"')
                        url = pg.url(name)
                    collected[label].append(run(tree, args.ops, url))
            merged = {
                f"{label} ({stage})": [median_row(rounds, i) for i in range(len(rounds[0]))]
                for label, rounds in collected.items()
            }
            print(table(merged))
            print()
    finally:
        if server is not None:
            server.__exit__(None, None, None)


if __name__ == "__main__":
    main()
