"""Jobs through the queue per second on SQLite, with a trivial task.

Usage: .venv/bin/python bench/jobs_throughput.py [--n 5000] [--concurrency 1 2]
       [--use-database-url]

Uses a fresh SQLite database in a temporary directory (never var/), or with
--use-database-url the (throwaway) database in DATABASE_URL, e.g. under
``python -m monoboard.testing.withdb --via postgres -- ...``; it enqueues
N tasks one transaction each (as requests would), then runs one in-process
worker in batch mode until the queue is empty, once per concurrency asked.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--use-database-url",
        action="store_true",
        help="use DATABASE_URL (its task rows are deleted!) instead of a fresh SQLite file",
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="jobs-bench-")
    os.environ["MONOBOARD_DATA_DIR"] = data_dir
    if not args.use_database_url:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    logging.getLogger("django.tasks").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from bench.jobs_tasks import trivial
    from monoboard.jobs.worker import Worker, WorkerConfig

    call_command("migrate", verbosity=0)
    from django.db import connection

    where = "SQLite (WAL)" if connection.vendor == "sqlite" else connection.vendor
    print(f"{where}, N={args.n}, trivial task, one worker process")
    print(f"{'threads':>7} | {'enqueue/s':>10} | {'run/s':>8} | {'drain s':>7}")
    print(f"{'-' * 7}-+-{'-' * 10}-+-{'-' * 8}-+-{'-' * 7}")
    for concurrency in args.concurrency:
        DBTaskResult.objects.all().delete()
        start = time.perf_counter()
        for i in range(args.n):
            trivial.enqueue(i)
        enqueue_s = time.perf_counter() - start
        worker = Worker(
            WorkerConfig(queues=["*"], concurrency=concurrency, batch=True, run_schedules=False)
        )
        start = time.perf_counter()
        worker.run()
        drain_s = time.perf_counter() - start
        done = DBTaskResult.objects.successful().count()
        assert done == args.n, f"only {done} of {args.n} tasks succeeded"
        print(
            f"{concurrency:>7} | {args.n / enqueue_s:>10.0f} | {args.n / drain_s:>8.0f} "
            f"| {drain_s:>7.2f}"
        )


if __name__ == "__main__":
    main()
