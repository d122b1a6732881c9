"""Run the whole stage-1 product with one command.

Starts granian serving the WSGI application (pages and API) and any extra
processes registered in ``SERVE_PROCESSES`` (the jobs worker, the ASGI event
stream), watches them, and stops them all on SIGINT/SIGTERM. Each child is a
normal process that could run on its own box at stage 3.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


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
            commands[name] = [
                arg.format(python=sys.executable, host=host, port=port, events_port=events_port)
                for arg in argv
            ]
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(fresh_metrics_dir())}
        children = {
            name: subprocess.Popen(argv, env=env)  # noqa: S603
            for name, argv in commands.items()
        }
        self.stdout.write(f"monoboard is serving on http://{host}:{port}/ ({', '.join(children)})")
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping")
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.kill(child.pid, signal.SIGKILL)
