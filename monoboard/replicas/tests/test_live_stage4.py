"""Stage 4 on real servers: a streaming replica delayed on purpose, and Redis.

The product runs under granian against a throwaway primary, a replica that
replays each commit ``DELAY_MS`` after it happened (``recovery_min_apply_delay``)
and a Redis. Every write below is read back at once by its author, through
pages (a browser session) and the API (an API key): it must be there, though
the replica cannot have it yet. An anonymous visitor meanwhile is served the
replica's older view. Then the replica, and Redis, are stopped under load:
no request may fail and every answer must be right.

Bounded: small loads of a few seconds each; every wait has a timeout.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings

from monoboard.lib.ports import free_port, wait_for_port
from monoboard.ops.tests import faults
from monoboard.testing.servers import (
    PostgresServer,
    RedisServer,
    postgres_server,
    redis_available,
    redis_server,
    replica_server,
)

pytestmark = [
    *faults.OWN_SERVERS,
    pytest.mark.skipif(not redis_available(), reason="Redis not installed (scripts/redis-install)"),
]

DELAY_MS = 2500

SEED = """
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from monoboard.accounts import credentials
from monoboard.accounts import services as accounts
from monoboard.boards import services as boards
admin = accounts.first_admin_create(email="ada@example.com", password="correct horse 9!")
board = boards.board_create(actor=admin, name="Features")
for i in range(5):
    boards.post_create(board=board, author=admin, title=f"Stage four idea {i}")
session = SessionStore()
session[SESSION_KEY] = str(admin.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
session.create()
print(credentials.api_key_create(actor=admin, name="stage 4").secret, session.session_key)
"""


@dataclass
class Site:
    port: int
    replica: PostgresServer
    redis: RedisServer
    key: str
    session: str

    def api(self, method: str, path: str, body: object = None, *, auth: bool = True) -> Any:
        headers = {"Authorization": f"Bearer {self.key}"} if auth else {}
        status, _, content = faults.request(
            self.port, method, f"/api/v1{path}", body=body, headers=headers
        )
        return status, (json.loads(content) if content else None)

    def page(self, path: str, *, signed_in: bool = True) -> tuple[int | str, str]:
        headers = {"Cookie": f"sessionid={self.session}"} if signed_in else {}
        status, _, content = faults.request(self.port, "GET", path, headers=headers)
        return status, content.decode(errors="replace")

    def form(self, path: str, fields: dict[str, str]) -> int | str:
        """POST a form as the signed-in browser (CSRF token from a page first)."""
        _status, head, _ = faults.request(
            self.port, "GET", "/", headers={"Cookie": f"sessionid={self.session}"}
        )
        cookie = SimpleCookie(head.get("set-cookie", ""))
        token = cookie["csrftoken"].value if "csrftoken" in cookie else self._token()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                "POST",
                path,
                body=urlencode({"csrfmiddlewaretoken": token, **fields}).encode(),
                headers={
                    "Cookie": f"sessionid={self.session}; csrftoken={token}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"http://127.0.0.1:{self.port}/",
                },
            )
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def _token(self) -> str:
        _, head, _ = faults.request(self.port, "GET", "/accounts/signin/")
        return SimpleCookie(head.get("set-cookie", ""))["csrftoken"].value


@contextlib.contextmanager
def granian(env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    argv = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        "--blocking-threads", "8", "--no-ws", "--log-level", "error",
        "monoboard.wsgi:application",
    ]  # fmt: skip
    process = subprocess.Popen(
        argv, env=env, cwd=settings.BASE_DIR, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=None,
    )  # fmt: skip
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        assert faults.wait_until(lambda: faults.request(port, "GET", "/")[0] == 200, timeout=60)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with (
        postgres_server() as pg,
        replica_server(pg, apply_delay_ms=DELAY_MS) as replica,
        redis_server() as redis,
    ):
        data_dir: Path = tmp_path_factory.mktemp("stage4")
        env = faults.product_env(
            data_dir,
            DATABASE_URL=pg.url(),
            DATABASE_REPLICA_URLS=replica.url(),
            REDIS_URL=redis.url(),
            # The replica is late on purpose: still let it serve.
            REPLICA_MAX_LAG_MS="60000",
            REPLICA_CHECK_INTERVAL_S="0.2",
            REDIS_RETRY_S="0.5",
            JOBS_IN_SERVE="0",
            REALTIME_SERVE="0",
            PAGE_CACHE_SECONDS="0",
        )
        seeded = subprocess.run(
            [sys.executable, "-c", SEED], env=env, cwd=settings.BASE_DIR,
            check=True, timeout=180, capture_output=True, text=True,
        )  # fmt: skip
        key, session = seeded.stdout.strip().splitlines()[-1].split()
        # The seed must have reached the replica before the tests start.
        time.sleep(DELAY_MS / 1000 + 0.5)
        with granian(env) as port:
            yield Site(port, replica, redis, key, session)


def test_the_author_reads_every_write_at_once_others_may_lag(site: Site) -> None:
    status, post = site.api("POST", "/boards/features/posts", {"title": "Fresh from the author"})
    assert status == 201
    pid = post["id"]
    # The API author sees it at once, in the post and the board's list...
    assert site.api("GET", f"/posts/{pid}")[0] == 200
    listed = site.api("GET", "/boards/features/posts")[1]
    assert pid in [p["id"] for p in listed["items"]]
    # ...while a visitor is still served by the replica, which has not replayed it.
    assert site.api("GET", f"/posts/{pid}", auth=False)[0] == 404
    # The same person in the browser: their API write is theirs there too.
    status, html = site.page(f"/b/features/p/{pid}/")
    assert status in (200, 301, 302)
    assert site.form(f"/b/features/p/{pid}/comments/", {"body": "A comment seen at once"}) == 302
    status, html = site.page(f"/b/features/p/{pid}-fresh-from-the-author/")
    assert status == 200 and "A comment seen at once" in html
    # And their browser comment through their API key.
    status, comments = site.api("GET", f"/posts/{pid}/comments")
    assert status == 200 and "A comment seen at once" in [c["body"] for c in comments]
    # A vote in the browser, read back in the page at once.
    seen = site.page(f"/b/features/p/{pid}-fresh-from-the-author/")[1]
    voted_before = "vote is-voted" in seen
    assert site.form(f"/b/features/p/{pid}/vote/", {}) == 302
    html = site.page(f"/b/features/p/{pid}-fresh-from-the-author/")[1]
    assert site.api("GET", f"/posts/{pid}")[1]["voted"] is not voted_before
    assert ("vote is-voted" in html) != voted_before
    # An API vote and comment, read back at once through the API.
    assert site.api("PUT", f"/posts/{pid}/vote")[0] == 200
    assert site.api("GET", f"/posts/{pid}")[1]["voted"] is True
    assert site.api("POST", f"/posts/{pid}/comments", {"body": "Via the API"})[0] == 201
    bodies = [c["body"] for c in site.api("GET", f"/posts/{pid}/comments")[1]]
    assert "Via the API" in bodies
    # The visitor catches up once the replica has replayed it.
    caught_up = faults.wait_until(
        lambda: site.api("GET", f"/posts/{pid}", auth=False)[0] == 200, timeout=15
    )
    assert caught_up is not None
    print(f"\nvisitor saw the post {caught_up:.1f} s after the author (delay {DELAY_MS} ms)")


def test_changes_are_never_stale_to_their_author(site: Site) -> None:
    status, a = site.api("POST", "/boards/features/posts", {"title": "Merge source"})
    status, b = site.api("POST", "/boards/features/posts", {"title": "Merge target"})
    pid = a["id"]
    assert site.api("PATCH", f"/posts/{pid}", {"title": "Edited title"})[1]["title"]
    assert site.api("GET", f"/posts/{pid}")[1]["title"] == "Edited title"
    statuses = site.api("GET", "/statuses")[1]
    planned = next(s for s in statuses if s["id"] != a["status"]["id"])
    assert site.api("POST", f"/posts/{pid}/status", {"status_id": planned["id"]})[0] == 200
    assert site.api("GET", f"/posts/{pid}")[1]["status"]["id"] == planned["id"]
    assert site.api("PUT", f"/posts/{pid}/hidden", {"hidden": True})[0] == 200
    assert site.api("GET", f"/posts/{pid}")[1]["hidden"] is True
    assert site.api("PUT", f"/posts/{pid}/hidden", {"hidden": False})[0] == 200
    assert site.api("POST", f"/posts/{pid}/merge", {"target_id": b["id"]})[0] == 200
    assert site.api("GET", f"/posts/{pid}")[1]["merged_into"] == b["id"]
    status, board = site.api("POST", "/boards", {"name": "Secret plans", "is_private": True})
    assert status == 201
    slug = board["slug"]
    assert site.api("PATCH", f"/boards/{slug}", {"name": "Renamed plans"})[0] == 200
    assert site.api("GET", f"/boards/{slug}")[1]["name"] == "Renamed plans"
    # The browser session too (it made no write itself: it reads the primary's
    # position only once its own writes gave it one; a page then must not lag).
    assert site.form(f"/b/features/p/{b['id']}/vote/", {}) == 302
    html = site.page("/settings/boards/")[1] + site.page("/")[1]
    assert "Renamed plans" in html or "Secret plans" not in html


def _load_ok(site: Site, check: str, path: str) -> faults.Load:
    def send(n: int) -> tuple[int | str, dict[str, str], bytes]:
        status, head, body = faults.request(
            site.port, "GET", path, headers={"Cookie": f"sessionid={site.session}"}
        )
        if status == 200 and check.encode() not in body:
            return "wrong content", head, body
        return status, head, body

    return faults.Load(send, clients=3, max_requests=3000, pause_s=0.01)


def test_replica_stopped_under_load_fails_no_request(site: Site) -> None:
    with _load_ok(site, "Stage four idea 3", "/b/features/") as load:
        time.sleep(1.0)
        site.replica.stop()
        time.sleep(2.0)
        site.replica.start()
        time.sleep(1.5)
    counts = load.counts()
    print(f"\nreplica stopped under load: {dict(counts)}")
    assert set(counts) == {200}, counts
    assert counts[200] > 20


def test_redis_stopped_under_load_fails_no_request(site: Site) -> None:
    with _load_ok(site, "Stage four idea 3", "/b/features/") as load:
        time.sleep(1.0)
        site.redis.stop(kill=True)
        time.sleep(1.0)
        status, _, body = faults.request(site.port, "GET", "/readyz")
        degraded = json.loads(body)
        time.sleep(1.0)
        site.redis.start()
        time.sleep(1.5)
    counts = load.counts()
    print(f"\nRedis killed under load: {dict(counts)}; /readyz said {degraded}")
    assert set(counts) == {200}, counts
    assert status == 200 and degraded["status"] == "degraded" and "redis" in degraded["down"]
    back = faults.wait_until(
        lambda: json.loads(faults.request(site.port, "GET", "/readyz")[2])["status"] == "ready",
        timeout=10,
    )
    assert back is not None


def test_readyz_and_metrics_show_the_replica(site: Site) -> None:
    status, _, body = faults.request(site.port, "GET", "/readyz")
    assert status == 200 and re.search(rb'"status": "(ready|degraded)"', body)
    status, _, body = faults.request(site.port, "GET", "/metrics")
    assert status == 200
    assert b'monoboard_replica_up{replica="replica1"} 1.0' in body
    lag = re.search(rb'monoboard_replica_lag_seconds\{replica="replica1"\} ([0-9.e+-]+)', body)
    assert lag is not None and float(lag.group(1)) >= 0
    assert b"monoboard_cache_aside_total" in body
