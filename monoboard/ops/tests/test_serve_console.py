"""A real ``manage.py serve`` for a short session, read as a new owner reads it.

Started with ``--port`` and no SITE_URL: the password-reset email (file
backend, in the data folder) links to that port. The console for a few
requests (``HEAD /``, the favicon, a 403, a bad Host header) and one job
shows no traceback, no per-job INFO line and no worker-count warning. Then
Ctrl-C as a terminal sends it (SIGINT to the whole process group): every
process is gone and both ports are free within a few seconds.

    .venv/bin/pytest -p no:cacheprovider -q monoboard/ops/tests/test_serve_console.py
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port
from monoboard.ops.tests.faults import (
    alive,
    proc_children,
    product_env,
    request,
    running,
    seed,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="stage 1 (SQLite) only: runs in that run"
    ),
]


def descendants(pid: int) -> list[int]:
    found = []
    for child in proc_children(pid):
        found += [child, *descendants(child)]
    return found


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def ask_for_reset(port: int, email: str) -> int | str:
    """The password-reset form, filled in as a browser does (CSRF cookie and token)."""
    status, headers, body = request(port, "GET", "/accounts/password-reset/")
    assert status == 200, status
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
    assert token and cookie
    conn_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookie.group(1)}",
    }
    form = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "email": email})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/accounts/password-reset/", body=form, headers=conn_headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_serve_links_its_port_keeps_a_quiet_console_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    site = tmp_path / "site"
    port, events_port = free_port(), free_port()
    env = product_env(site, JOBS_POLL_INTERVAL_S="0.2", EVENTS_PORT=str(events_port))
    for name in ("LOG_LEVEL", "SITE_URL", "HOST", "PORT", "JOBS_LOG_LEVEL", "EMAIL_BACKEND"):
        env.pop(name, None)  # the defaults a new owner gets
    seed(env)
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with running(argv, env, log=log) as serve:
        assert wait_until(lambda: request(port, path="/readyz")[0] == 200, timeout=90), (
            log.read_text()[-3000:]
        )
        assert request(port, "HEAD", "/")[0] == 200
        assert request(port, path="/favicon.ico")[0] == 200
        assert request(port, path="/b/features/p/1/edit/")[0] == 403
        assert request(port, headers={"Host": "evil.example"})[0] == 400
        assert ask_for_reset(port, "ada@example.com") == 302

        def reset_mail() -> str:
            mails = sorted((site / "mail").glob("*")) if (site / "mail").is_dir() else []
            return "".join(path.read_text() for path in mails)

        assert wait_until(lambda: "password-reset/" in reset_mail(), timeout=30), log.read_text()
        links = re.findall(r"https?://[^/\s]+/accounts/password-reset/", reset_mail())
        assert links, reset_mail()
        assert set(links) == {f"http://127.0.0.1:{port}/accounts/password-reset/"}

        # Ctrl-C in a terminal: SIGINT to the foreground process group.
        family = [serve.pid, *descendants(serve.pid)]
        assert len(family) >= 4, family  # serve, granian (+ its worker), events, jobs worker
        os.killpg(serve.pid, signal.SIGINT)
        stopped = wait_until(
            lambda: (
                not any(alive(pid) for pid in family) and port_free(port) and port_free(events_port)
            ),
            timeout=10,
        )
        left = {pid for pid in family if alive(pid)}
        assert stopped is not None, f"still running 10 s after Ctrl-C: {left}"
        assert serve.wait(timeout=5) == 0

    console = log.read_text()
    print(console)
    assert "Traceback" not in console
    assert " INFO django.tasks " not in console
    assert " INFO monoboard.jobs " not in console
    assert "number of workers" not in console
    assert "/favicon.ico" not in console
    assert console.count("Forbidden (Permission denied)") == 1  # the 403, in one line
    assert console.count("Invalid HTTP_HOST header") == 1
