"""nginx's edge cache for real: visitors share pages, signed-in people never do.

One module-wide site (PostgreSQL, PgBouncer, two instances, a worker and
nginx with the edge cache on; all on loopback). Two members, each having
voted on a different post, and a visitor read the board page through nginx.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_edge_cache.py
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monoboard.ops.tests import faults
from monoboard.ops.tests.faults import OWN_SERVERS, product_env, request, wait_until
from monoboard.ops.tests.test_stage3 import FAST_SEED, Browser
from monoboard.testing.servers import PostgresServer, pgbouncer_server, postgres_server
from monoboard.testing.stage3 import nginx_binary, stage3_site

pytestmark = [
    *OWN_SERVERS,
    pytest.mark.skipif(
        nginx_binary() is None, reason="nginx is not installed (scripts/nginx-install, as root)"
    ),
]

#: The edge cache's lifetime here, and the margin a busy machine gets on top.
EDGE_S = 3
MARGIN_S = 3
BOARD = "/b/features/"
MEMBERS = {
    "Mo": ("mo@example.com", "another horse 7!", "Fault test idea 1"),
    "Lin": ("lin@example.com", "third horse 5!", "Fault test idea 2"),
}
SEED = FAST_SEED.replace(
    "print(credentials",
    "".join(
        f'accounts.user_signup(email="{email}", password="{password}", name="{name}")\n'
        for name, (email, password, _) in MEMBERS.items()
    )
    + "print(credentials",
)


@dataclass
class Site:
    port: int
    pg: PostgresServer

    def sql(self, query: str) -> str:
        return self.pg.psql(query, dbname=self.pg.dbname)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    base = Path(tempfile.mkdtemp(prefix="monoboard-edge-"))
    base.chmod(0o755)
    try:
        with (
            postgres_server(base_dir=base / "pg") as pg,
            pgbouncer_server(pg, base_dir=base / "pgbouncer") as bouncer,
        ):
            env = product_env(
                base / "site",
                DATABASE_URL=bouncer.url(),
                DB_POOL="pgbouncer",
                DATABASE_DIRECT_URL=pg.url(),
                WEB_THREADS="4",
            )
            faults.seed(env, SEED)
            for path in (base / "site").rglob("*"):
                path.chmod(path.stat().st_mode | 0o055)
            (base / "site").chmod(0o755)
            with stage3_site(
                directory=base / "run",
                env=env,
                instances=2,
                web_workers=1,
                edge_cache_seconds=EDGE_S,
            ) as s3:
                assert wait_until(lambda: request(s3.port, path="/healthz")[0] == 200, timeout=30)
                yield Site(s3.port, pg)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def post_id(site: Site, title: str) -> int:
    return int(site.sql(f"SELECT id FROM boards_post WHERE title = '{title}'"))  # noqa: S608


@pytest.fixture(scope="module")
def members(site: Site) -> dict[str, Browser]:
    """Each member signed in, having voted on their own post."""
    signed_in = {}
    for name, (email, password, title) in MEMBERS.items():
        browser = Browser(site.port)
        browser.sign_in((email, password))
        token = browser.token(BOARD)
        vote = f"/b/features/p/{post_id(site, title)}/vote/"
        status, _, _ = browser.go("POST", vote, {"csrfmiddlewaretoken": token})
        assert status == 302, status
        signed_in[name] = browser
    return signed_in


def voted_on(html: str) -> set[str]:
    return set(re.findall(r'aria-label="Remove your vote for ([^"]+)"', html))


def test_no_one_is_served_another_persons_page(site: Site, members: dict[str, Browser]) -> None:
    secrets = [v for b in members.values() for v in b.cookies.values() if len(v) >= 16]
    assert len(secrets) >= 4  # each member's session id and CSRF cookie
    visitor = Browser(site.port)
    seen: list[tuple[float, str]] = []
    for _ in range(4):
        for name, browser in members.items():
            status, headers, html = browser.go("GET", BOARD)
            assert status == 200
            # A signed-in request neither reads nor fills the edge cache.
            assert headers.get("x-cache-status") == "BYPASS"
            assert "private" in headers.get("cache-control", "")
            assert f"({name})" in html
            others = [other for other in MEMBERS if other != name]
            assert not any(f"({other})" in html for other in others)
            assert voted_on(html) == {MEMBERS[name][2]}
        status, headers, html = visitor.go("GET", BOARD)
        assert status == 200
        assert headers.get("cache-control") == f"public, s-maxage={EDGE_S}, max-age=0"
        assert "set-cookie" not in headers
        assert not visitor.cookies
        seen.append((time.monotonic(), headers.get("x-cache-status", "")))
        assert not voted_on(html) and "csrfmiddlewaretoken" not in html
        assert not any(f"({name})" in html for name in MEMBERS)
        assert not any(secret in html for secret in secrets)
    first_at = seen[0][0]
    # After the first, the visitor is served from the edge: HIT while fresh.
    later = [(at - first_at, state) for at, state in seen[1:]]
    assert all(state == "HIT" for age, state in later if age < EDGE_S - 0.5), seen
    assert any(state == "HIT" for _, state in later), seen

    # An API token is never answered from the edge either.
    _, headers, _ = request(site.port, path=BOARD, headers={"Authorization": "Bearer x"})
    assert headers.get("x-cache-status") != "HIT"
    # Personal paths are never cached, whatever they answer.
    for path in ("/accounts/signin/", "/settings/"):
        _, headers, _ = request(site.port, path=path)
        _, headers, _ = request(site.port, path=path)
        assert headers.get("x-cache-status") != "HIT", path


def test_a_new_post_reaches_visitors_within_the_window(
    site: Site, members: dict[str, Browser]
) -> None:
    # The visitors' copy is in the edge cache.
    request(site.port, path=BOARD)
    assert request(site.port, path=BOARD)[1].get("x-cache-status") == "HIT"
    author = members["Mo"]
    token = author.token(BOARD)
    title = "Seen by everyone soon"
    status, _, _ = author.go("POST", BOARD, {"csrfmiddlewaretoken": token, "title": title})
    assert status == 302
    posted = time.monotonic()
    # Its author sees it at once (the edge is bypassed, the app reads its own writes).
    _, _, html = author.go("GET", BOARD)
    assert title in html

    def visitor_sees_it() -> bool:
        return title in request(site.port, path=BOARD)[2].decode(errors="replace")

    took = wait_until(visitor_sees_it, timeout=EDGE_S + MARGIN_S, step=0.2)
    print(
        f"\nedge cache ({EDGE_S} s): visitors saw a new post {time.monotonic() - posted:.1f} s on"
    )
    assert took is not None, f"visitors did not see the new post within {EDGE_S + MARGIN_S} s"
