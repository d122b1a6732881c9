"""The jobs worker's CPU per 1,000 emails when a comment reaches every voter.

Usage: .venv/bin/python bench/email_fanout.py [--voters 300 3000] [--use-database-url]

Uses a fresh SQLite database in a temporary directory (never var/), or with
--use-database-url the (throwaway) database in DATABASE_URL, e.g. under
``python -m monoboard.testing.withdb --via postgres -- ...``. For each N it
makes a post with N voters (a tenth of them on the daily digest, as some
people choose), writes a comment on it through the comment service, then
starts one jobs worker process in batch mode (``runworker --batch``: the
event log's consumer queues the fan-out, the fan-out queues the emails, the
send jobs hand them to the mail server) and measures, in the worker, the
CPU seconds (user + system, all its threads) from "go" until the queue is
empty, i.e. until the last email was handed to the mail server. The mail
server is a real SMTP server (aiosmtpd) on a loopback port in this process,
which counts what arrives; its own CPU is not counted. The worker is set up
(Django loaded, connection open, URL patterns and email templates loaded,
as in a worker that has run for a while) before the clock starts.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django(data_dir: str, use_database_url: bool, smtp_port: int) -> None:
    os.environ["MONOBOARD_DATA_DIR"] = data_dir
    if not use_database_url:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        EMAIL_MODE="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        SITE_URL="https://feedback.example.com",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    logging.getLogger("django.tasks").setLevel(logging.WARNING)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_process(data_dir: str, use_database_url: bool, smtp_port: int, pipe: Connection) -> None:
    setup_django(data_dir, use_database_url, smtp_port)
    from django.db import connection

    from monoboard.jobs.worker import Worker, WorkerConfig

    connection.ensure_connection()
    _warm_up()
    pipe.send("ready")
    pipe.recv()  # go
    cpu0, wall0 = _cpu(), time.perf_counter()
    config = WorkerConfig(queues=["*"], concurrency=1, batch=True, run_schedules=False)
    Worker(config).run()
    pipe.send((_cpu() - cpu0, time.perf_counter() - wall0))


def _warm_up() -> None:
    """What a long-running worker did once already: URL patterns, templates, mail modules."""
    import django.core.mail.backends.smtp  # noqa: F401
    from django.template.loader import get_template
    from django.urls import reverse

    reverse("notifications:preferences")
    for name in ("event.txt", "event.html", "digest.txt", "digest.html"):
        get_template(f"notifications/email/{name}")


class Sink:
    """Counts the emails it is handed, and nothing else."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += len(envelope.rcpt_tos)
        return "250 Message accepted"


def make_post(voters: int) -> None:
    """A post with ``voters`` voters, a tenth of them on the digest; then the comment."""
    from monoboard.accounts.models import User
    from monoboard.boards import services
    from monoboard.boards.models import Board, Status, Vote
    from monoboard.notifications.models import Delivery, Kind, Preference

    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})
    author = User.objects.create_user(email="author@example.com", password="x" * 12)
    board = Board.objects.create(name="Bench", slug="bench")
    post = services.post_create(board=board, author=author, title="Dark mode", body="Please")
    users = User.objects.bulk_create(
        User(email=f"voter{i}@example.com", name=f"Voter {i}") for i in range(voters)
    )
    Vote.objects.bulk_create(Vote(post=post, user=u) for u in users)
    Preference.objects.bulk_create(
        Preference(user=u, kind=Kind.COMMENT, delivery=Delivery.DIGEST) for u in users[::10]
    )
    commenter = User.objects.create_user(email="cora@example.com", password="x" * 12)
    services.comment_create(post=post, author=commenter, body="Yes, and for the emails too.")


def run_once(args: argparse.Namespace, voters: int, smtp_port: int, sink: Sink) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from monoboard.notifications.models import OutboxEmail, OutboxState

    call_command("flush", interactive=False, verbosity=0)
    make_post(voters)
    connection.close()  # the worker is another process
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(
        target=worker_process, args=(args.data_dir, args.use_database_url, smtp_port, theirs)
    )
    proc.start()
    if not ours.poll(120) or ours.recv() != "ready":
        raise SystemExit("the worker did not start")
    before = sink.received
    ours.send("go")
    if not ours.poll(600):
        raise SystemExit("the worker did not finish")
    cpu_s, wall_s = ours.recv()
    proc.join()
    if proc.exitcode:
        raise SystemExit("the worker failed")
    emails = sink.received - before
    sent = OutboxEmail.objects.filter(state=OutboxState.SENT).count()
    assert emails == sent, f"the server took {emails} emails, the outbox says {sent} sent"
    return {"voters": voters, "emails": emails, "cpu_s": cpu_s, "wall_s": wall_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, nargs="+", default=[300, 3000])
    parser.add_argument(
        "--use-database-url",
        action="store_true",
        help="use DATABASE_URL (it is flushed!) instead of a fresh SQLite file",
    )
    args = parser.parse_args()
    args.data_dir = tempfile.mkdtemp(prefix="email-fanout-bench-")

    from aiosmtpd.controller import Controller

    from monoboard.lib.ports import free_port

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        setup_django(args.data_dir, args.use_database_url, controller.port)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        where = "SQLite (WAL)" if connection.vendor == "sqlite" else connection.vendor
        print(f"{where}, one comment to N voters (a tenth on the digest), SMTP on loopback")
        print(f"{'voters':>6} | {'emails':>6} | {'worker CPU s':>12} | {'wall s':>6} | "
              f"{'CPU s / 1,000 emails':>20} | {'emails/s':>8}")  # fmt: skip
        print(f"{'-' * 6}-+-{'-' * 6}-+-{'-' * 12}-+-{'-' * 6}-+-{'-' * 20}-+-{'-' * 8}")
        for voters in args.voters:
            row = run_once(args, voters, controller.port, sink)
            per_1000 = row["cpu_s"] / max(row["emails"], 1) * 1000
            print(
                f"{voters:>6} | {row['emails']:>6} | {row['cpu_s']:>12.2f} | "
                f"{row['wall_s']:>6.2f} | {per_1000:>20.2f} | "
                f"{row['emails'] / row['wall_s']:>8.0f}",
                flush=True,
            )
        print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
