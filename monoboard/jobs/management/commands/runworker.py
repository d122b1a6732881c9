"""``manage.py runworker``: run background jobs until SIGTERM."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.jobs.worker import Worker, WorkerConfig


class Command(BaseCommand):
    help = "Run background jobs: task threads, heartbeat, recovery and recurring schedules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues", default="*", help="comma-separated queue names, or * for all (default)"
        )
        parser.add_argument("--concurrency", type=int, help="task threads (JOBS_CONCURRENCY)")
        parser.add_argument("--interval", type=float, help="seconds between polls when idle")
        parser.add_argument(
            "--claim-batch", type=int, help="tasks claimed per statement (JOBS_CLAIM_BATCH)"
        )
        parser.add_argument("--batch", action="store_true", help="exit once the queue is empty")
        parser.add_argument(
            "--no-schedules", action="store_true", help="do not enqueue recurring tasks"
        )
        parser.add_argument("--worker-id", help="unique id (default: host-pid-random)")
        parser.add_argument(
            "--nice", type=int, choices=range(20), metavar="0-19", help="CPU niceness (JOBS_NICE)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] >= 2:  # a line per task run; JOBS_LOG_LEVEL otherwise
            level = logging.DEBUG if options["verbosity"] > 2 else logging.INFO
            for name in ("monoboard.jobs", "django.tasks"):
                logging.getLogger(name).setLevel(level)
        niceness = settings.JOBS_NICE if options["nice"] is None else options["nice"]
        if niceness:
            os.nice(niceness)  # relative to the start; requests come first on a shared box
        config = WorkerConfig.from_settings(
            queues=[q.strip() for q in options["queues"].split(",") if q.strip()] or ["*"],
            concurrency=options["concurrency"],
            poll_interval_s=options["interval"],
            claim_batch=options["claim_batch"],
            batch=options["batch"] or None,
            run_schedules=False if options["no_schedules"] else None,
        )
        if not Worker(config, worker_id=options["worker_id"]).run():
            raise CommandError("the task threads stopped unexpectedly; see the log above")
