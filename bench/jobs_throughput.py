"""Jobs through the queue per second, with a trivial task.

Usage: .venv/bin/python bench/jobs_throughput.py [--n 5000] [--concurrency 1 2]
       [--processes 1 2] [--claim-batch 8] [--use-database-url]

Uses a fresh SQLite database in a temporary directory (never var/), or with
--use-database-url the (throwaway) database in DATABASE_URL, e.g. under
``python -m monoboard.testing.withdb --via postgres -- ...``. For each
(processes, threads) pair it enqueues N tasks one transaction each (as
requests would), then starts that many worker processes in batch mode, each
with that many task threads, and times them from "go" until the queue is
empty. Worker processes are started and set up (Django loaded, connections
warm) before the clock starts, so the figure is the queue, not start-up.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django(data_dir: str, use_database_url: bool) -> None:
    os.environ["MONOBOARD_DATA_DIR"] = data_dir
    if not use_database_url:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    logging.getLogger("django.tasks").setLevel(logging.WARNING)


def worker_process(
    data_dir: str, use_database_url: bool, threads: int, claim_batch: int, ready: Event, go: Event
) -> None:
    setup_django(data_dir, use_database_url)
    from django.db import connection

    from monoboard.jobs.worker import Worker, WorkerConfig

    connection.ensure_connection()
    ready.set()
    go.wait()
    config = WorkerConfig(
        queues=["*"],
        concurrency=threads,
        batch=True,
        run_schedules=False,
        claim_batch=claim_batch,
    )
    Worker(config).run()


def drain(args: argparse.Namespace, data_dir: str, processes: int, threads: int) -> float:
    """Seconds for ``processes`` worker processes to empty the queue."""
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    procs, readies = [], []
    for _ in range(processes):
        ready = ctx.Event()
        proc = ctx.Process(
            target=worker_process,
            args=(data_dir, args.use_database_url, threads, args.claim_batch, ready, go),
        )
        proc.start()
        procs.append(proc)
        readies.append(ready)
    for ready in readies:
        if not ready.wait(timeout=120):
            raise SystemExit("a worker process did not start")
    start = time.perf_counter()
    go.set()
    for proc in procs:
        proc.join()
    drain_s = time.perf_counter() - start
    if any(proc.exitcode for proc in procs):
        raise SystemExit("a worker process failed")
    return drain_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2], help="threads")
    parser.add_argument("--processes", type=int, nargs="+", default=[1])
    parser.add_argument("--claim-batch", type=int, default=8, help="tasks claimed per statement")
    parser.add_argument(
        "--use-database-url",
        action="store_true",
        help="use DATABASE_URL (its task rows are deleted!) instead of a fresh SQLite file",
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="jobs-bench-")
    setup_django(data_dir, args.use_database_url)
    from django.core.management import call_command
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from bench.jobs_tasks import trivial

    call_command("migrate", verbosity=0)
    where = "SQLite (WAL)" if connection.vendor == "sqlite" else connection.vendor
    print(f"{where}, N={args.n}, trivial task, claim batch {args.claim_batch}")
    print(f"{'procs':>5} | {'threads':>7} | {'enqueue/s':>10} | {'run/s':>8} | {'drain s':>7}")
    print(f"{'-' * 5}-+-{'-' * 7}-+-{'-' * 10}-+-{'-' * 8}-+-{'-' * 7}")
    for processes in args.processes:
        for threads in args.concurrency:
            DBTaskResult.objects.all().delete()
            start = time.perf_counter()
            for i in range(args.n):
                trivial.enqueue(i)
            enqueue_s = time.perf_counter() - start
            connection.close()  # the workers are other processes
            drain_s = drain(args, data_dir, processes, threads)
            done = DBTaskResult.objects.successful().count()
            assert done == args.n, f"only {done} of {args.n} tasks succeeded"
            print(
                f"{processes:>5} | {threads:>7} | {args.n / enqueue_s:>10.0f} "
                f"| {args.n / drain_s:>8.0f} | {drain_s:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
