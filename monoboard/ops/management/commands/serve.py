"""Run the whole stage-1 product with one command.

Starts granian serving the WSGI application (pages and API) and any extra
processes registered in ``SERVE_PROCESSES`` (the jobs worker, the ASGI event
stream) under :class:`monoboard.ops.supervisor.Supervisor`: a child that dies
is restarted with backoff, a crash loop stops everything with exit status 1,
SIGINT/SIGTERM stop them all. granian itself replaces a web worker that dies,
so one killed worker costs only the requests it had in hand. Each child is a
normal process that could run on its own box at stage 3.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

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
        "monoboard.wsgi:application",
    ]


def fresh_metrics_dir() -> Path:
    """An empty folder where every child writes its Prometheus figures, so
    /metrics on any worker reports the whole box (prometheus-client's
    multi-process mode). Emptied at start: old files would count twice."""
    path = Path(settings.DATA_DIR) / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


class Command(BaseCommand):
    help = "Serve monoboard: web server plus its helper processes, supervised."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        commands = {"web": wsgi_command(host, port, options["workers"])}
        events_port = settings.EVENTS_PORT or port + 1
        for name, argv in settings.SERVE_PROCESSES.items():
            commands[name] = with_respawn(
                [
                    arg.format(python=sys.executable, host=host, port=port, events_port=events_port)
                    for arg in argv
                ]
            )
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(fresh_metrics_dir())}
        supervisor = Supervisor(commands, env=env, log=self._log)
        supervisor.install_signal_handlers()
        supervisor.start()
        self.stdout.write(f"monoboard is serving on http://{host}:{port}/ ({', '.join(commands)})")
        if supervisor.run() != 0:
            sys.exit(1)

    def _log(self, line: str) -> None:
        self.stderr.write(line)
        self.stderr.flush()
