"""`manage.py migrate_once`: apply migrations once, however many pods start together.

Every pod of a rollout runs it before serving (deploy/kubernetes: the init step
of each Deployment). On PostgreSQL it first takes a session advisory lock on a
direct connection (``DATABASE_DIRECT_URL``: a lock taken through PgBouncer in
transaction mode would not stay with the session), so one pod migrates while
the others wait; each then runs ``migrate``, which finds nothing left to do.
Two ``migrate`` runs at once would race: both see a migration unapplied and
the second fails creating what the first created. On SQLite (one box) it is
``migrate``.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from monoboard.lib.database import listen_params

#: The advisory lock's key: "mbmigrat" as a 64-bit integer, used for nothing else.
LOCK_KEY = int.from_bytes(b"mbmigrat", "big") - 2**63


class Command(BaseCommand):
    help = "Apply migrations under a lock, so pods that start together never race."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait-s",
            type=float,
            default=600.0,
            help="give up when another migration holds the lock longer (default 600)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["wait_s"] <= 0:
            raise CommandError("--wait-s must be more than 0")
        verbosity = int(options["verbosity"])
        if connection.vendor != "postgresql":
            call_command("migrate", interactive=False, verbosity=verbosity)
            return
        with psycopg.connect(**listen_params()) as lock:
            self._acquire(lock, options["wait_s"])
            try:
                call_command("migrate", interactive=False, verbosity=verbosity)
            finally:
                lock.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

    def _acquire(self, lock: psycopg.Connection[Any], wait_s: float) -> None:
        started = time.monotonic()
        said = False
        while True:
            row = lock.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
            if row and row[0]:
                if said:
                    waited = time.monotonic() - started
                    self.stdout.write(f"Took the migration lock after {waited:.1f} s.")
                return
            if time.monotonic() - started > wait_s:
                raise CommandError(
                    f"another migration held the lock for more than {wait_s:g} s; "
                    "look for a stuck migrate (pg_locks, locktype 'advisory')"
                )
            if not said:
                self.stdout.write("Another pod is migrating; waiting for its lock.")
                said = True
            time.sleep(0.5)
