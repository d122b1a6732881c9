"""Sites for the backup tests: built, served and inspected in processes of their own.

Each site is a data folder (its SQLite file, its uploaded files, its secret
key) or a PostgreSQL database; commands run as ``manage.py`` child
processes with that site's environment, as a person runs them.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from monoboard.lib.ports import free_port, wait_for_port
from monoboard.ops.tests.faults import running

# A stage-1 site the way people make one: migrations, then the services;
# with images on a post and a comment (their thumbnails made by the job's
# service).
SEED = """
import io, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from monoboard.accounts import services as accounts
from monoboard.boards import services as boards
from monoboard.boards.models import Attachment, Status

def png(color, name):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")

pw = "correct horse 9!"
admin = accounts.first_admin_create(email="ada@example.com", password=pw, name="Ada")
people = [
    accounts.user_signup(email=f"user{i}@example.com", password=pw, name=f"Zoë {i}")
    for i in range(5)
]
# A customer's person signed in by single sign-on, with their company.
import time, uuid, jwt
from monoboard.sso import services as sso
secret = sso.secret_regenerate(actor=admin)
now = int(time.time())
claims = {
    "id": "cust-7", "email": "buyer@customer.example", "name": "Bea Buyer",
    "company": {"id": "acme", "name": "Acme", "monthly_revenue": 1200, "plan": "pro"},
    "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
}
people.append(sso.identify(token=jwt.encode(claims, secret, algorithm="HS256")))
features = boards.board_create(actor=admin, name="Feature requests", description="Ideas ✨")
private = boards.board_create(actor=admin, name="Internal", is_private=True)
tags = [boards.tag_save(actor=admin, name=n) for n in ("api", "mobile", "billing")]
posts = []
for i in range(12):
    board = features if i % 3 else private
    posts.append(boards.post_create(
        board=board, author=people[i % 5], title=f"Idea number {i} — ünïcode",
        body=f"Some **markdown** body {i}", tag_ids=[t.pk for t in tags[: i % 4]],
    ))
for i, post in enumerate(posts):
    for person in people[: i % 6]:
        boards.vote_toggle(post=post, user=person)
    comment = boards.comment_create(post=post, author=people[(i + 1) % 5], body=f"Comment {i}")
boards.attachments_add(post=posts[1], actor=people[1], uploads=[png("#cc3333", "red.png")])
boards.comment_attachments_add(
    comment=comment, actor=comment.author, uploads=[png("#3333cc", "blue.png")]
)
for attachment in Attachment.objects.all():
    boards.attachment_store_thumbnail(attachment_id=attachment.pk)
boards.post_set_status(post=posts[1], actor=admin, status=Status.objects.get(slug="planned"),
                       note="On the roadmap")
boards.post_merge(source=posts[4], target=posts[5], actor=admin)
"""

# Keeps writing (posts and votes through the services) until its stop file exists.
WRITER = """
import sys, time, pathlib, django
django.setup()
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
stop = pathlib.Path(sys.argv[1])
board = Board.objects.get(slug="feature-requests")
people = list(User.objects.order_by("id"))
n = 0
while not stop.exists():
    post = boards.post_create(board=board, author=people[n % len(people)], title=f"Live {n}")
    boards.vote_toggle(post=post, user=people[(n + 1) % len(people)])
    n += 1
    if n == 1:
        print("writing", flush=True)
print(n, flush=True)
"""

POSTS, USERS = 12, 7


def site_env(data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of a site in ``data_dir`` (SQLite there, unless ``database_url``)."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "DB_", "BACKUP_", "STORAGE_", "REDIS_"))
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "MONOBOARD_DATA_DIR": str(data_dir),
        "SECRET_KEY": "backup-test-only",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_PER_MINUTE": "100000",
        "API_ANON_RATE_LIMIT_PER_MINUTE": "100000",
        **extra,
    }
    if database_url:
        env.update(DATABASE_URL=database_url, DATABASE_DIRECT_URL=database_url, DB_POOL="none")
    return env


def python(env: dict[str, str], script: str, *args: str, timeout: float = 180) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def manage(
    env: dict[str, str], *args: str, ok: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``manage.py args`` for this site; asserts its exit status (``ok``)."""
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if ok:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    else:
        assert result.returncode != 0, result.stdout[-3000:]
    return result


def build_site(env: dict[str, str]) -> None:
    python(env, SEED)


def media_files(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "media"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def sqlite_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


# A process in its own session, stopped with SIGTERM then SIGKILL: the fault tests' helper.
background = running


@contextlib.contextmanager
def served(env: dict[str, str], log: Path) -> Iterator[int]:
    """``manage.py serve`` (web only) for the site; its port. Static files are
    not collected: the tests read the API and the images, not the pages."""
    port = free_port()
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "serve", "--port", str(port)]
    argv += ["--workers", "1"]
    with background(argv, {**env, "REALTIME_SERVE": "0", "JOBS_IN_SERVE": "0"}, log=log):
        wait_for_port("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 60
        while get(port, "/readyz")[0] != 200:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield port


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def get_json(port: int, path: str, headers: dict[str, str] | None = None) -> object:
    status, body = get(port, path, headers)
    assert status == 200, (path, status, body[:500])
    return json.loads(body)
