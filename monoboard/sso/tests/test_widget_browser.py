"""In Chromium: a page on another origin (another loopback port) embeds the
widget with one script tag, identifies its user, posts an idea, votes on a
similar one, and the post appears on the board. Keyboard only for the panel."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Post, Status, Vote
from monoboard.core.consumers import drain
from monoboard.sso.tests.conftest import hs256, make_secret, save_settings

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 15_000
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

CUSTOMER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer app</title></head>
<body><h1>Customer app</h1><p><a href="#top">A link before the widget</a></p>
<script src="{board}/static/sso/widget.js" data-label="Feedback"></script>
<script>monoboard.identify({{token: "{token}"}});</script>
</body></html>
"""


class CustomerSite:
    """The customer's app: one page, served from its own loopback port."""

    def __init__(self) -> None:
        self.html = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = outer.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def set_planned(moderator: User) -> Status:
    created = Post.objects.get(title="Keyboard shortcuts for everything")
    planned = Status.objects.get(slug="planned")
    boards.post_set_status(post=created, actor=moderator, status=planned)
    return planned


def in_own_thread[T](work: Callable[[], T]) -> T:
    """Database work while Playwright drives the browser: in a thread of its own
    (whose connection is closed after), not in Playwright's event loop."""
    done: list[T] = []

    def run() -> None:
        try:
            done.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert done, "the work failed; see the thread's exception above"
    return done[0]


@pytest.fixture
def customer() -> Iterator[CustomerSite]:
    site = CustomerSite()
    yield site
    site.server.shutdown()
    site.server.server_close()


def test_embedded_widget_identifies_posts_and_votes(
    live_server: Any,
    admin: User,
    moderator: User,
    customer: CustomerSite,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    board = Board.objects.create(name="Ideas", slug="ideas")
    existing = boards.post_create(board=board, author=moderator, title="Dark mode for the editor")
    drain()  # the jobs worker's consumers index the post for similar-post suggestions
    secret = make_secret(admin)
    assert save_settings(admin, widget_origins=customer.origin).status_code == 302
    token = hs256(secret, id="u-42", email="dana@customer.example", name="Dana Customer")
    customer.html = CUSTOMER_PAGE.format(board=live_server.url, token=token)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(customer.origin + "/")
            button = page.locator("[data-monoboard=button]")
            # Keyboard: focus the button, open the panel with Enter.
            button.focus()
            page.keyboard.press("Enter")
            expect(button).to_have_attribute("aria-expanded", "true")
            panel = page.frame_locator("#monoboard-panel")
            expect(panel.locator("#mb-who")).to_have_text("Signed in as Dana Customer")
            title = panel.locator("#mb-title-input")
            expect(title).to_be_focused()
            page.keyboard.type("Dark mode please")
            similar = panel.locator("[data-testid=similar] .mb-vote")
            expect(similar).to_have_count(1)
            similar.focus()
            page.keyboard.press("Enter")
            expect(similar).to_have_attribute("aria-pressed", "true")
            title.fill("Keyboard shortcuts for everything")
            panel.locator("#mb-body").fill("Like Gmail's")
            panel.locator("#mb-submit").focus()
            page.keyboard.press("Enter")
            expect(panel.locator("#mb-posted")).to_contain_text("Keyboard shortcuts for everything")
            # Your posts list the new post and the voted one with their statuses,
            # and a status changed since the panel last looked is announced.
            expect(panel.locator("[data-testid=mine] li")).to_have_count(2)
            planned = in_own_thread(lambda: set_planned(moderator))
            panel.locator("#tab-new").focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            expect(panel.locator("#tab-mine")).to_have_attribute("aria-selected", "true")
            expect(panel.locator("[data-testid=mine] li")).to_have_count(2)
            expect(panel.locator("[data-testid=status-changes]")).to_contain_text(
                f"Keyboard shortcuts for everything: Open → {planned.name}"
            )
            # Escape closes the panel and gives focus back to the button.
            page.keyboard.press("Escape")
            expect(button).to_have_attribute("aria-expanded", "false")
            expect(button).to_be_focused()

            # The post is on the board for everyone.
            visitor = browser.new_page()
            visitor.goto(f"{live_server.url}/b/{board.slug}/")
            expect(visitor.get_by_text("Keyboard shortcuts for everything")).to_be_visible()
        finally:
            browser.close()

    dana = User.objects.get(external_id="u-42")
    created = Post.objects.get(title="Keyboard shortcuts for everything")
    assert created.author_id == dana.pk and created.board_id == board.pk
    assert Vote.objects.filter(post=existing, user=dana).exists()
    assert not dana.has_usable_password()


def test_a_page_on_an_unlisted_origin_gets_no_panel(
    live_server: Any, admin: User, customer: CustomerSite
) -> None:
    from playwright.sync_api import sync_playwright

    secret = make_secret(admin)
    save_settings(admin, widget_origins="https://app.customer.example")
    customer.html = CUSTOMER_PAGE.format(board=live_server.url, token=hs256(secret, id="u-1"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(customer.origin + "/")
            page.locator("[data-monoboard=button]").click()
            # CSP frame-ancestors: the browser refuses to show the board in the frame.
            frame = page.frame_locator("#monoboard-panel")
            page.wait_for_timeout(1500)
            assert frame.locator("#mb-who").count() == 0
        finally:
            browser.close()
    assert not User.objects.filter(external_id="u-1").exists()
