"""One journey through the real product in headless Chromium.

Two people sign up through the form; the first posts an idea on a board, the
second opens the board and votes on it. The count changes on the page
without a reload, and the vote is stored.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000  # generous: the test machine is often shared
PASSWORD = "violet-harbour-7-lantern"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are ordinary blocking ones, so Django's guard is lifted.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            expect.set_options(timeout=5_000)  # Playwright's default
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Sessions:
    """Separate browser sessions (one per person) that are closed afterwards."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts: list[BrowserContext] = []
        self.pages: list[Page] = []

    def open(self) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1200, "height": 900}
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        self.pages.append(page)
        return page

    def screenshot(self, name: str) -> None:
        folder = Path(settings.BASE_DIR) / "var"
        folder.mkdir(exist_ok=True)
        for i, page in enumerate(self.pages):
            page.screenshot(path=str(folder / f"e2e-{name}-{i}.png"), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def sessions(browser: Browser, live_server: LiveServer) -> Iterator[Sessions]:
    opened = Sessions(browser, live_server.url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def statuses(admin: User) -> None:
    """Transactional tests empty every table, the statuses a migration adds included."""
    if not Status.objects.exists():
        services.status_save(
            actor=admin, fields=services.StatusFields(name="Open", is_default=True)
        )


def sign_up(page: Page, email: str, name: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_email", email)
    page.fill("#id_name", name)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


def open_board(page: Page, board: Board) -> None:
    page.goto("/")
    page.locator("[data-testid=board-card]", has_text=board.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(board.name)


@pytest.mark.django_db(transaction=True)
def test_sign_up_post_and_vote_without_reload(
    sessions: Sessions, statuses: None, public_board: Board
) -> None:
    title = "Export the roadmap as a PDF"
    try:
        author = sessions.open()
        sign_up(author, "alice@example.com", "Alice Author")
        open_board(author, public_board)
        form = author.locator("[data-testid=new-post-form]")
        form.locator("#id_title").fill(title)
        form.locator("#id_body").fill("We print it for the **quarterly** review.")
        form.locator("[data-testid=new-post-submit]").click()
        expect(author.locator("[data-testid=post-title]")).to_have_text(title)
        expect(author.locator("[data-testid=vote-count]")).to_have_text("1")

        voter = sessions.open()
        sign_up(voter, "bob@example.com", "Bob Voter")
        open_board(voter, public_board)
        row = voter.locator("[data-testid=post-row]", has_text=title)
        expect(row.locator("[data-testid=vote-count]")).to_have_text("1")
        voter.evaluate("window.__sameDocument = true")
        row.locator("[data-testid=vote-button]").click()
        expect(row.locator("[data-testid=vote-count]")).to_have_text("2")
        expect(row.locator("[data-testid=vote-button]")).to_have_attribute("aria-pressed", "true")
        assert voter.evaluate("window.__sameDocument === true"), "the page reloaded"
        assert Post.objects.get(title=title).vote_count == 2
    except BaseException:
        sessions.screenshot("sign-up-post-vote")
        raise
