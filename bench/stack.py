"""Start what a benchmark measures: the product at a stage, and nginx as the ceiling."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from monoboard.lib.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def manage(*args: str, env: dict[str, str], quiet: bool = True) -> str:
    """Run a management command for the site described by ``env``."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=quiet,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stderr or ''}{result.stdout or ''}"
        )
    return result.stdout or ""


def _wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not become ready in {timeout:.0f}s")


@contextlib.contextmanager
def product(env: dict[str, str], *, workers: int | None = None) -> Iterator[str]:
    """Serve the product (web, worker, events) and yield its base URL.

    ``workers`` (web processes) defaults to the product's own WEB_WORKERS."""
    port = free_port()
    extra = ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen(
        [PYTHON, str(ROOT / "manage.py"), "serve", "--port", str(port), *extra],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + "/readyz")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{ listen 127.0.0.1:{port}; root {dir}/www; }}
}}
"""


@contextlib.contextmanager
def nginx_static() -> Iterator[str | None]:
    """nginx serving one 1 KiB file: the machine's ceiling for an HTTP answer."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        yield None
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    workdir.chmod(0o755)
    (workdir / "www").mkdir()
    (workdir / "www" / "static.txt").write_text("x" * 1024)
    port = free_port()
    (workdir / "nginx.conf").write_text(NGINX_CONF.format(dir=workdir, port=port))
    proc = subprocess.Popen(
        [binary, "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield f"http://127.0.0.1:{port}/static.txt"
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
