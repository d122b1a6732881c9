"""Stage 3 for real: two app instances and a jobs worker behind nginx.

One module-wide site (PostgreSQL, PgBouncer, two ``serve --roles web,events``
instances, one ``serve --roles worker``, nginx; all on loopback) runs the
product's main paths through nginx, then loses an instance to SIGKILL under
load, is redeployed instance by instance under load, and keeps an event
stream whole across the death of the instance that served it.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_stage3.py
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from monoboard.ops.tests import faults
from monoboard.ops.tests.faults import OWN_SERVERS, Load, product_env, request, wait_until
from monoboard.testing import s3 as s3_testing
from monoboard.testing.servers import PostgresServer, pgbouncer_server, postgres_server
from monoboard.testing.stage3 import Process, Stage3, _tail, nginx_binary, stage3_site

pytestmark = [
    *OWN_SERVERS,
    pytest.mark.skipif(
        nginx_binary() is None, reason="nginx is not installed (scripts/nginx-install, as root)"
    ),
]

ADMIN = ("ada@example.com", "correct horse 9!")

COLLECT = 'call_command("collectstatic", interactive=False, verbosity=0)'
#: The fault suite's seed, collecting static files with hashed names but
#: without compressing them: the same manifest the instances read, in a
#: few seconds instead of a minute on a 2-core machine.
FAST_SEED = faults.SEED.replace(
    COLLECT,
    "from django.conf import settings\n"
    "settings.STORAGES['staticfiles'] = "
    "{'BACKEND': 'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'}\n" + COLLECT,
)
MEMBER = ("mo@example.com", "another horse 7!")
#: Images no visitor may fetch: one on a members-only board, one on a post
#: hidden by the admin (which a member may not see either); stored on S3.
PRIVATE_IMAGES = """
import io
from django.core.files.base import ContentFile
from PIL import Image
def png():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    return ContentFile(out.getvalue(), name="secret.png")
accounts.user_signup(email="{}", password="{}", name="Mo")
team = boards.board_create(actor=admin, name="Team", is_private=True)
boards.post_create(board=team, author=admin, title="Team only", uploads=[png()])
hidden = boards.post_create(board=board, author=admin, title="Hidden one", uploads=[png()])
boards.post_set_hidden(post=hidden, actor=admin, hidden=True)
""".format(*MEMBER)
STAGE3_SEED = FAST_SEED.replace("print(credentials", PRIVATE_IMAGES + "print(credentials")


@dataclass
class Site:
    stage3: Stage3
    pg: PostgresServer
    api_key: str

    @property
    def port(self) -> int:
        return self.stage3.port

    def logs(self) -> str:
        """The last lines of every process's log, for a failure message."""
        s3 = self.stage3
        paths = [p.log for p in [*s3.instances, s3.worker]]
        logs = [f"--- {path.name}\n{_tail(path, 15)}" for path in paths]
        # nginx: why servers failed, not the "no live upstreams" that follow.
        errors = (s3.nginx_dir / "error.log").read_text(errors="replace").splitlines()
        causes = [line for line in errors if "no live upstreams" not in line]
        return "\n".join([*logs, "--- nginx error.log", *causes[-30:]])

    def sql(self, query: str) -> str:
        return self.pg.psql(query, dbname=self.pg.dbname)

    def api(self, method: str, path: str, body: object = None, key: str = "") -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if key:
            headers["Idempotency-Key"] = key
        status, _, content = request(self.port, method, path, body=body, headers=headers)
        return (status if isinstance(status, int) else 0), content


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    # The postgres account and nginx's workers (nobody) must reach these folders.
    base = Path(tempfile.mkdtemp(prefix="monoboard-stage3-"))
    base.chmod(0o755)
    try:
        with (
            postgres_server(base_dir=base / "pg") as pg,
            pgbouncer_server(pg, base_dir=base / "pgbouncer") as bouncer,
            s3_testing.s3_server() as store,
        ):
            env = product_env(
                base / "site",
                DATABASE_URL=bouncer.url(),
                DB_POOL="pgbouncer",
                DATABASE_DIRECT_URL=pg.url(),
                WEB_THREADS="4",
                REALTIME_POLL_INTERVAL="0.1",
                # Files on object storage, shared by the instances.
                STORAGE_S3_BUCKET=store.new_bucket(),
                STORAGE_S3_ENDPOINT_URL=store.endpoint_url,
                STORAGE_S3_ACCESS_KEY_ID=s3_testing.ACCESS_KEY,
                STORAGE_S3_SECRET_ACCESS_KEY=s3_testing.SECRET_KEY,
                STORAGE_S3_REGION=s3_testing.REGION,
                STORAGE_S3_ADDRESSING_STYLE="path",
            )
            api_key = faults.seed(env, STAGE3_SEED)
            for path in (base / "site").rglob("*"):
                path.chmod(path.stat().st_mode | 0o055)
            (base / "site").chmod(0o755)
            with stage3_site(directory=base / "run", env=env, instances=2, web_workers=1) as s3:
                assert wait_until(lambda: request(s3.port, path="/healthz")[0] == 200, timeout=30)
                yield Site(s3, pg, api_key)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- a browser-like client -------------------------------------------------------------


@dataclass
class Browser:
    """Cookies kept between requests; no redirects followed."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def go(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie, _, _ = value.partition(";")
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
            text = response.read().decode(errors="replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            conn.close()

    def token(self, path: str) -> str:
        status, _, text = self.go("GET", path)
        assert status == 200, (path, status)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, who: tuple[str, str] = ADMIN) -> None:
        token = self.token("/accounts/signin/")
        status, _, _ = self.go(
            "POST",
            "/accounts/signin/",
            {"csrfmiddlewaretoken": token, "email": who[0], "password": who[1]},
        )
        assert status == 302, status
        assert "sessionid" in self.cookies


def first_post_id(site: Site) -> int:
    return int(site.sql("SELECT min(id) FROM boards_post"))


def test_the_product_works_through_nginx(site: Site) -> None:
    browser = Browser(site.port)
    browser.sign_in()

    # Create a post, vote on it and comment, all through nginx (either instance).
    token = browser.token("/b/features/")
    status, headers, _ = browser.go(
        "POST", "/b/features/", {"csrfmiddlewaretoken": token, "title": "Through nginx"}
    )
    assert status == 302, status
    post_id = int(site.sql("SELECT id FROM boards_post WHERE title = 'Through nginx'"))
    counts = f"SELECT vote_count, comment_count FROM boards_post WHERE id = {post_id}"  # noqa: S608
    votes_before = site.sql(counts).split("|")[0]
    status, _, _ = browser.go(
        "POST", f"/b/features/p/{post_id}/vote/", {"csrfmiddlewaretoken": token}
    )
    assert status == 302
    status, _, _ = browser.go(
        "POST",
        f"/b/features/p/{post_id}/comments/",
        {"csrfmiddlewaretoken": token, "body": "A comment through nginx"},
    )
    assert status == 302
    status, _, _ = browser.go("GET", f"/b/features/p/{post_id}/")
    assert status in (200, 301, 302)
    status, _, board = browser.go("GET", "/b/features/")
    assert status == 200 and "Through nginx" in board
    votes, comments = site.sql(counts).split("|")
    assert (votes != votes_before, comments) == (True, "1")  # the vote toggled

    # The jobs worker runs alone (serve --roles worker): its consumer indexes the post.
    indexed = f"SELECT title || comments FROM search_pg_document WHERE post_id = {post_id}"  # noqa: S608
    found = wait_until(lambda: "through nginx" in site.sql(indexed).lower(), timeout=30)
    assert found is not None, f"the separate jobs worker did not index the post\n{site.logs()}"

    # A session and CSRF token made by instance A are good on instance B.
    a, b = site.stage3.instances
    on_a = Browser(int(a.port or 0))
    on_a.sign_in()
    token_from_a = on_a.token("/b/features/")
    on_b = Browser(int(b.port or 0), cookies=dict(on_a.cookies))
    status, _, _ = on_b.go(
        "POST",
        f"/b/features/p/{post_id}/comments/",
        {"csrfmiddlewaretoken": token_from_a, "body": "Signed in on A, posted on B"},
    )
    assert status == 302, status
    assert site.sql("SELECT count(*) FROM boards_comment WHERE body LIKE 'Signed in on A%'") == "1"

    # The API: create and read back, with a key.
    status, body = site.api("POST", "/api/v1/boards/features/posts", {"title": "By API"}, key="k1")
    assert status == 201, body
    created = json.loads(body)["id"]
    status, body = site.api("GET", f"/api/v1/posts/{created}")
    assert status == 200 and json.loads(body)["title"] == "By API"

    # Static files come from nginx, hashed names cached for a year.
    match = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', board)
    assert match, "no fingerprinted stylesheet on the board page"
    answer, headers, _ = request(site.port, path=match.group(1))
    assert answer == 200
    assert "immutable" in headers.get("cache-control", "")

    # /metrics through nginx: the client (loopback) is believed local, and the
    # answering instance names itself.
    answer, _, text = request(site.port, path="/metrics")
    assert answer == 200
    assert b"monoboard_instance_info{instance=" in text


# --- load with keyed writes ------------------------------------------------------------


class MixedLoad(Load):
    """Two reads (a board page, an API read) for each keyed API comment."""

    def __init__(self, site: Site, tag: str, **kwargs: int) -> None:
        self.site, self.tag = site, tag
        self.post_id = first_post_id(site)
        self.acked: list[str] = []
        super().__init__(self._send, pause_s=0.0, **kwargs)

    def __enter__(self) -> MixedLoad:
        super().__enter__()
        return self

    def _send(self, n: int) -> tuple[int | str, dict[str, str], bytes]:
        if n % 3 == 0:
            body = f"{self.tag}-{n}"
            status, content = self.site.api(
                "POST", f"/api/v1/posts/{self.post_id}/comments", {"body": body}, key=body
            )
            if status == 201:
                with self._lock:
                    self.acked.append(body)
            return status, {}, content
        if n % 3 == 1:
            return request(self.site.port, path="/b/features/", timeout=30)
        status, content = self.site.api("GET", f"/api/v1/posts/{self.post_id}")
        return status, {}, content

    def failed(self) -> dict[int | str, int]:
        return {s: n for s, n in self.counts().items() if s not in (200, 201)}

    def missing(self) -> list[str]:
        stored = set(
            self.site.sql(
                f"SELECT body FROM boards_comment WHERE body LIKE '{self.tag}-%'"  # noqa: S608
            ).splitlines()
        )
        return [body for body in self.acked if body not in stored]


def run_until(load: MixedLoad, total: int, timeout: float = 60) -> None:
    wait_until(
        lambda: len(load.counts()) > 0 and sum(load.counts().values()) >= total, timeout=timeout
    )


def test_an_instance_killed_under_load_costs_no_request(site: Site) -> None:
    victim: Process = site.stage3.instances[0]
    with MixedLoad(site, "kill", clients=4, max_requests=300) as load:
        run_until(load, 60)
        killed_at = time.monotonic()
        victim.kill()
        run_until(load, 300)
    took = time.monotonic() - killed_at
    total = sum(load.counts().values())
    print(
        f"\nstage 3, SIGKILL of one of 2 instances under load: {total} requests "
        f"({len(load.acked)} keyed writes), failed {load.failed() or 0}, "
        f"{len(load.missing())} acknowledged writes missing; {took:.1f} s after the kill"
    )
    victim.start()
    victim.wait_ready()
    assert load.failed() == {}, site.logs()
    assert load.missing() == []
    assert total >= 300


def test_a_rolling_restart_costs_no_request(site: Site) -> None:
    # An instance that was just failed is kept out for fail_timeout (5 s):
    # let nginx take the restarted one back before the next is stopped.
    time.sleep(5.5)
    steps = []
    with MixedLoad(site, "roll", clients=4, max_requests=100_000) as load:
        run_until(load, 30)
        for instance in site.stage3.instances:
            started = time.monotonic()
            site.stage3.restart(instance)
            steps.append(round(time.monotonic() - started, 1))
            time.sleep(5.5)
    total = sum(load.counts().values())
    print(
        f"\nstage 3, rolling restart of 2 instances under load: {total} requests "
        f"({len(load.acked)} keyed writes), failed {load.failed() or 0}, "
        f"{len(load.missing())} acknowledged writes missing; each restart took {steps} s"
    )
    assert load.failed() == {}, site.logs()
    assert load.missing() == []


# --- the event stream --------------------------------------------------------------


def serving_stream(site: Site) -> Process | None:
    """The instance whose events port holds an established connection (nginx's)."""
    ports = {int(i.events_port or 0): i for i in site.stage3.instances}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if fields[3] == "01" and local_port in ports:  # 01: ESTABLISHED
            return ports[local_port]
    return None


class Stream:
    """An EventSource: reads ``id:`` lines; on a cut, reconnects with Last-Event-ID."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.ids: list[int] = []
        self.comments: list[int] = []
        self.reconnects = 0
        self.opened: list[float] = []  # when each connection was answered 200
        self.stop = threading.Event()
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            headers = {"Accept": "text/event-stream"}
            if self.ids:
                headers["Last-Event-ID"] = str(self.ids[-1])
            with contextlib.suppress(OSError, http.client.HTTPException):
                self._read(headers)
            if not self.stop.is_set():
                self.reconnects += 1
                time.sleep(0.2)

    def _read(self, headers: dict[str, str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/events/?board=features", headers=headers)
            response = conn.getresponse()
            if response.status != 200:
                return
            self.connected.set()
            self.opened.append(time.monotonic())
            event_id: int | None = None
            while not self.stop.is_set():
                try:
                    raw = response.fp.readline()
                except TimeoutError:
                    continue
                if not raw:
                    return
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: ") and event_id is not None:
                    data = json.loads(line[6:])
                    self.ids.append(event_id)
                    if "comment_id" in data:
                        self.comments.append(int(data["comment_id"]))
                    event_id = None
        finally:
            conn.close()


def test_a_stream_survives_its_instance(site: Site) -> None:
    time.sleep(5.5)  # both instances back in nginx's rotation
    post_id = first_post_id(site)
    stream = Stream(site.port)
    stream.thread.start()
    assert stream.connected.wait(20), "the stream did not open through nginx"
    assert wait_until(lambda: serving_stream(site) is not None, timeout=10) is not None
    instance = serving_stream(site)
    assert instance is not None
    created: list[int] = []
    killed_at = 0.0
    for n in range(40):
        status, body = site.api(
            "POST", f"/api/v1/posts/{post_id}/comments", {"body": f"live-{n}"}, key=f"live-{n}"
        )
        assert status == 201, body
        created.append(int(json.loads(body)["id"]))
        if n == 15:
            killed_at = time.monotonic()
            instance.kill()
        time.sleep(0.05)
    caught_up = wait_until(lambda: stream.comments[-1:] == created[-1:], timeout=20)
    stream.stop.set()
    stream.thread.join(timeout=10)
    back = [round(t - killed_at, 2) for t in stream.opened if t > killed_at]
    print(
        f"\nstage 3, SSE through nginx, its instance SIGKILLed: {len(created)} comments, "
        f"{len(stream.comments)} received, {stream.reconnects} reconnect(s), stream open again "
        f"{back[:1]} s after the kill; last event {caught_up is not None and 'received'}"
    )
    instance.start()
    instance.wait_ready()
    assert stream.reconnects >= 1
    assert stream.ids == sorted(set(stream.ids)), "an event came twice or out of order"
    assert stream.comments == created, "an event was lost"


# --- image attachments on object storage -----------------------------------------------


def _png(color: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


def _upload(port: int, path: str, api_key: str, data: bytes) -> tuple[int, bytes]:
    """A multipart API upload of one image, straight to one instance."""
    boundary = "monoboard-stage3-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="shot.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _fetch_image(port: int, path: str, cookies: dict[str, str] | None = None) -> bytes:
    """The image behind ``path`` on one server, following the view's redirect to the store."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    status, answer, content = request(port, path=path, headers=headers)
    if status == 302:
        signed = urlsplit(answer["location"])
        assert signed.hostname == "127.0.0.1" and "Signature" in signed.query, signed
        conn = http.client.HTTPConnection("127.0.0.1", signed.port or 80, timeout=30)
        try:
            conn.request("GET", f"{signed.path}?{signed.query}")
            response = conn.getresponse()
            status, content = response.status, response.read()
        finally:
            conn.close()
    assert status == 200, (path, status)
    return content


def test_an_image_uploaded_through_one_instance_is_served_by_the_other(site: Site) -> None:
    from PIL import Image

    a, b = (int(instance.port or 0) for instance in site.stage3.instances)
    post_id = first_post_id(site)
    status, body = _upload(a, f"/api/v1/posts/{post_id}/attachments", site.api_key, _png("red"))
    assert status == 201, body
    url = urlsplit(json.loads(body)[0]["url"]).path
    for port in (b, site.port):  # instance B directly, and nginx
        image = Image.open(io.BytesIO(_fetch_image(port, url)))
        assert (image.format, image.size, image.getpixel((5, 5))) == ("PNG", (64, 48), (255, 0, 0))


def test_private_images_are_404_by_every_url_form(site: Site) -> None:
    rows = site.sql(
        "SELECT a.key, a.file_name, p.title FROM boards_attachment a"
        " JOIN boards_post p ON p.id = a.post_id WHERE p.title IN ('Team only', 'Hidden one')"
    ).splitlines()
    assert len(rows) == 2, rows
    member = Browser(site.port)
    member.sign_in(MEMBER)
    admin = Browser(site.port)
    admin.sign_in()
    for row in rows:
        key, file_name, title = row.split("|")
        forms = [f"/attachments/{key}/", f"/attachments/{key}/thumb/", f"/media/{file_name}"]
        for path in forms:
            assert request(site.port, path=path)[0] == 404, (title, path, "visitor")
            if title == "Hidden one":  # members may see the members-only board, not this
                assert member.go("GET", path)[0] == 404, (title, path, "member")
        # Those who may see the post get the image, through either instance.
        assert _fetch_image(site.port, forms[0], admin.cookies).startswith(b"\x89PNG")
