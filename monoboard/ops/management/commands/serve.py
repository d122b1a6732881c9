"""Run the whole stage-1 product with one command.

Starts granian serving the WSGI application (pages and API) and any extra
processes registered in ``SERVE_PROCESSES`` (the jobs worker, the ASGI event
stream) under :class:`monoboard.ops.supervisor.Supervisor`: a child that dies
is restarted with backoff, a crash loop stops everything with exit status 1,
SIGINT/SIGTERM stop them all. granian itself replaces a web worker that dies,
so one killed worker costs only the requests it had in hand.

``--roles`` picks the children: ``web`` (granian WSGI), ``events`` (the ASGI
stream) and ``worker`` (jobs and event consumers), all three by default. At
stage 3 each app instance runs ``--roles web,events`` and the jobs worker runs
alone with ``--roles worker`` (docs/scaling.md).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.lib.siteurl import listening_site_url
from monoboard.ops.granianlog import LOG_CONFIG_PATH, questionable_workers
from monoboard.ops.supervisor import Supervisor

#: granian replaces a worker process that dies, after this many seconds.
RESPAWN_ARGS = ["--respawn-failed-workers", "--respawn-interval", "1"]


def with_respawn(argv: list[str]) -> list[str]:
    """``argv`` with granian's worker respawn switched on, if it runs granian."""
    if "granian" not in argv[1:3] or RESPAWN_ARGS[0] in argv:
        return argv
    at = argv.index("granian") + 1
    return [*argv[:at], *RESPAWN_ARGS, *argv[at:]]


def wsgi_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(settings.SERVE_THREADS),
        "--no-ws",
        *RESPAWN_ARGS,
        "--log-level",
        "warning",
        "--log-config",
        LOG_CONFIG_PATH,
        "monoboard.wsgi:application",
    ]


ROLES = ("web", "events", "worker")


def parse_roles(value: str) -> list[str]:
    """``"web,events"`` as a list in ROLES order; unknown or no roles are refused."""
    asked = {part.strip() for part in value.split(",") if part.strip()}
    unknown = asked - set(ROLES)
    if unknown or not asked:
        raise CommandError(
            f"--roles takes a comma-separated subset of {', '.join(ROLES)} (got {value!r})"
        )
    return [role for role in ROLES if role in asked]


def instance_name(port: int, roles: list[str]) -> str:
    """INSTANCE_NAME, or this host and port (host:worker for a lone worker):
    how this instance names itself in figures."""
    where = port if "web" in roles else "+".join(roles)
    return str(settings.INSTANCE_NAME or f"{socket.gethostname()}:{where}")


def fresh_metrics_dir(instance: str) -> Path:
    """An empty folder where every child writes its Prometheus figures, so
    /metrics on any worker reports the whole instance (prometheus-client's
    multi-process mode). Emptied at start: old files would count twice. One
    folder per instance: several instances may share a data folder (stage 3
    on one machine), and one must not empty another's."""
    path = Path(settings.DATA_DIR) / "prometheus" / re.sub(r"[^A-Za-z0-9_.-]", "_", instance)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def build_commands(roles: list[str], *, host: str, port: int, workers: int) -> dict[str, list[str]]:
    """The argv of each child for ``roles``; roles switched off in settings are left out."""
    commands: dict[str, list[str]] = {}
    if "web" in roles:
        commands["web"] = wsgi_command(host, port, workers)
    events_port = settings.EVENTS_PORT or port + 1
    for name, argv in settings.SERVE_PROCESSES.items():
        if name in ROLES and name not in roles:
            continue
        commands[name] = with_respawn(
            [
                arg.format(python=sys.executable, host=host, port=port, events_port=events_port)
                for arg in argv
            ]
        )
    return commands


def sample_box() -> None:
    """One SystemSample of this machine, the database connection closed after it."""
    from django.db import connection

    from monoboard.ops.sampling import take_sample

    try:
        take_sample()
    finally:
        connection.close()


class Command(BaseCommand):
    help = "Serve monoboard: web server plus its helper processes, supervised."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)
        parser.add_argument(
            "--roles",
            default=",".join(ROLES),
            help="which processes to run: a comma-separated subset of web,events,worker",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        roles = parse_roles(options["roles"])
        commands = build_commands(roles, host=host, port=port, workers=options["workers"])
        if not commands:
            raise CommandError(f"nothing to run: {', '.join(roles)} switched off in settings")
        instance = instance_name(port, roles)
        if "web" in commands and (
            warning := questionable_workers(options["workers"], os.cpu_count())
        ):
            self._log(warning)
        env = {
            **os.environ,
            "INSTANCE_NAME": instance,
            "PROMETHEUS_MULTIPROC_DIR": str(fresh_metrics_dir(instance)),
        }
        if not os.environ.get("SITE_URL"):
            # Emailed links point where this serve listens (behind a proxy,
            # SITE_URL is set explicitly and wins).
            env["SITE_URL"] = listening_site_url(host, port)
        # The jobs worker samples its box once a minute (ops.sample_system); an
        # instance without one samples its own box here, so the advisor sees
        # every app machine's CPU (stage 3 on several machines).
        tick = None if "worker" in commands else sample_box
        supervisor = Supervisor(commands, env=env, log=self._log, tick=tick)
        supervisor.install_signal_handlers()
        supervisor.start()
        where = f"on http://{host}:{port}/ " if "web" in commands else ""
        self.stdout.write(f"monoboard is serving {where}({', '.join(commands)}) as {instance}")
        if supervisor.run() != 0:
            sys.exit(1)

    def _log(self, line: str) -> None:
        self.stderr.write(line)
        self.stderr.flush()
