"""In Chromium, against ``manage.py serve`` (WSGI pages + ASGI events process):
open pages update when someone else votes, with the session cookie crossing
to the events port for a members-only board."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status
from monoboard.lib.ports import free_port, wait_for_port
from monoboard.realtime.tests.sse_client import WAIT, child_database_url

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture(autouse=True)
def open_status(transactional_db: None) -> None:
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})


@pytest.fixture
def site(tmp_path: Path, admin: User) -> Iterator[str]:
    """``manage.py serve`` on two free ports; yields the pages' base URL."""
    port, events_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "MONOBOARD_DATA_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
        "EVENTS_PORT": str(events_port),
        "WEB_WORKERS": "1",
        "REALTIME_POLL_INTERVAL": "0.05",
    }
    manage = [sys.executable, "manage.py"]
    # As `make run` does: the pages link fingerprinted static files.
    subprocess.run(
        [*manage, "collectstatic", "--no-input", "-v", "0"],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=300,  # compressing every file takes a minute on a busy 2-core machine
    )
    argv = [*manage, "serve", "--port", str(port), "--workers", "1"]
    child = subprocess.Popen(argv, env=env, cwd=settings.BASE_DIR, start_new_session=True)
    try:
        wait_for_port("127.0.0.1", port, timeout=WAIT * 3)
        wait_for_port("127.0.0.1", events_port, timeout=WAIT * 3)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=WAIT * 2)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=WAIT)


def vote(user: User, post: Post) -> None:
    client = Client()
    client.force_login(user)
    client.post(
        reverse("boards:vote", args=[post.board.slug, post.pk]),
        headers={"accept": "application/json"},
    )


def test_open_pages_show_other_peoples_votes(
    site: str,
    public_board: Board,
    private_board: Board,
    member: User,
    other_member: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # below are plain blocking test code, not code inside that loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    public = boards.post_create(board=public_board, author=member, title="Dark mode please")
    private = boards.post_create(board=private_board, author=member, title="Internal tooling")
    signed_in = Client()
    signed_in.force_login(member)
    cookie = {
        "name": "sessionid",
        "value": signed_in.cookies["sessionid"].value,
        "domain": "127.0.0.1",
        "path": "/",
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
        )
        try:
            visitor = browser.new_page()
            visitor.goto(f"{site}/b/features/")
            expect(visitor.locator("body")).to_have_attribute(
                "data-live-state", "ready", timeout=WAIT * 1000
            )
            vote(other_member, public)
            row = visitor.locator(f'[data-post-id="{public.pk}"] [data-testid="vote-count"]')
            expect(row).to_have_text("2", timeout=WAIT * 1000)

            context = browser.new_context()
            context.add_cookies([cookie])  # type: ignore[list-item]
            page = context.new_page()
            page.goto(f"{site}/b/internal/p/{private.pk}-{private.slug}/")
            expect(page.locator("body")).to_have_attribute(
                "data-live-state", "ready", timeout=WAIT * 1000
            )
            vote(other_member, private)
            count = page.locator('[data-testid="post"] [data-testid="vote-count"]')
            expect(count).to_have_text("2", timeout=WAIT * 1000)
            boards.comment_create(post=private, author=other_member, body="Same here")
            expect(page.locator('[data-testid="live-new-comments"]')).to_have_text(
                "1 new comment — show", timeout=WAIT * 1000
            )
        finally:
            browser.close()
