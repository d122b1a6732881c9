"""At phone width (390 px): a member posts an idea, votes and comments, and
no page scrolls sideways; the top bar stays one row and its menu opens
without script; an admin's statuses table fits too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts.models import Role, User
from monoboard.boards import services
from monoboard.boards.models import Board, Post

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]
WIDTH = 390
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            expect.set_options(timeout=5_000)


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def phone_page(browser: Browser, base_url: str, user: User) -> Page:
    context = browser.new_context(
        base_url=base_url, viewport={"width": WIDTH, "height": 844}, is_mobile=True
    )
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} scrolls sideways: {width}px"
    # The top bar is one row: every item in it starts on the same line.
    tops = page.evaluate(
        "[...document.querySelector('.topbar-inner').children]"
        ".filter(e => e.offsetParent !== null).map(e => Math.round(e.getBoundingClientRect().top))"
    )
    spread = max(tops) - min(tops)
    assert spread < 20, f"{page.url}: the top bar wraps ({tops})"


@pytest.mark.django_db(transaction=True)
def test_post_vote_and_comment_at_phone_width(
    browser: Browser, live_server: LiveServer, fast_hashing: None
) -> None:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    member = make_user("mel@example.com", Role.MEMBER, "Mel Member")
    Board.objects.create(name="Feature requests", slug="features", description="Ideas")
    page = phone_page(browser, live_server.url, member)
    title = "Offline mode for the phone app"

    page.goto("/b/features/")
    assert_fits(page)
    page.get_by_test_id("share-jump").click()
    form = page.locator("[data-testid=new-post-form]")
    expect(form.locator("#id_title")).to_be_in_viewport()
    form.locator("#id_title").fill(title)
    form.locator("#id_body").fill("Read posts on the train, see https://example.com/offline")
    form.locator("[data-testid=new-post-submit]").click()
    expect(page.locator("[data-testid=post-title]")).to_have_text(title)
    assert_fits(page)

    button = page.locator("[data-testid=vote-button]")
    expect(button).to_have_attribute("aria-label", f"Remove your vote for {title}")
    button.click()
    expect(page.locator("[data-testid=vote-count]")).to_have_text("0")
    expect(button).to_have_attribute("aria-label", f"Vote for {title}")
    button.click()
    expect(page.locator("[data-testid=vote-count]")).to_have_text("1")
    expect(button).to_have_attribute("aria-label", f"Remove your vote for {title}")

    page.locator("[data-testid=comment-form] textarea").fill("Even a read-only cache would help.")
    page.locator("[data-testid=comment-form] button[type=submit]").click()
    expect(page.locator("[data-testid=comment-body]")).to_contain_text("read-only cache")
    assert_fits(page)
    assert Post.objects.get(title=title).vote_count == 1

    page.locator("[data-testid=top-menu] summary").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Roadmap")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    admin_page = phone_page(browser, live_server.url, admin)
    for path in ["/settings/statuses/", "/settings/", "/accounts/people/", "/roadmap/"]:
        admin_page.goto(path)
        assert_fits(admin_page)
    admin_page.locator("[data-testid=top-menu] summary").click()
    expect(admin_page.get_by_role("link", name="Email delivery").last).to_be_visible()
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.django_db(transaction=True)
def test_admin_post_page_has_no_gap_above_the_comments(
    browser: Browser, live_server: LiveServer, fast_hashing: None
) -> None:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    board = Board.objects.create(name="Feature requests", slug="features")
    post = services.post_create(board=board, author=admin, title="Short post, tall tools")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    client = Client()
    client.force_login(admin)
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"/b/features/p/{post.pk}-{post.slug}/")
    article = page.locator("[data-testid=post]").bounding_box()
    comments = page.locator("section.comments").bounding_box()
    tools = page.locator("[data-testid=moderator-tools]").bounding_box()
    assert article and comments and tools
    assert tools["height"] > article["height"] + 100, "the tools are the taller column"
    gap = comments["y"] - (article["y"] + article["height"])
    assert gap < 48, f"{gap}px of empty space above the comments"
    context.close()


@pytest.mark.django_db(transaction=True)
def test_copy_button_copies_a_new_api_key_under_the_csp(
    browser: Browser, live_server: LiveServer, fast_hashing: None
) -> None:
    make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    member = make_user("mel@example.com", Role.MEMBER, "Mel Member")
    page = phone_page(browser, live_server.url, member)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/accounts/profile/")
    page.locator(".api-key-form input[name=name]").fill("laptop")
    page.locator(".api-key-form button[type=submit]").click()
    secret = page.locator("#new-api-key").input_value()
    assert secret
    page.get_by_test_id("copy-api-key").click()
    expect(page.get_by_test_id("copy-api-key")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert_fits(page)
