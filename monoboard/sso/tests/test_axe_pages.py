"""axe-core finds no WCAG 2.1 A/AA violation on the single sign-on pages (admin
settings, board rules, revenue, the refused sign-in, the widget panel) at
desktop and phone widths, and none of them is wider than a 390 px phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.e2e.tests.test_axe import AXE, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, audit
from monoboard.e2e.tests.test_axe import pytestmark as axe_marks
from monoboard.sso.tests.conftest import hs256, make_secret, save_settings

pytestmark = [*axe_marks, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_sso_pages_pass_axe_and_fit_a_phone(
    browser: Browser, live_server: LiveServer, admin: User, moderator: User, width: int
) -> None:
    board = Board.objects.create(name="Ideas", slug="ideas")
    secret = make_secret(admin)
    save_settings(admin, widget_origins="https://app.customer.example")
    token = hs256(secret, company={"id": "acme", "name": "Acme Ltd", "monthly_revenue": 1200})
    buyer = Client()
    assert buyer.get("/sso/callback", {"token": token}).status_code == 302
    post = boards.post_create(board=board, author=moderator, title="Single sign-on for teams")
    boards.vote_toggle(post=post, user=User.objects.get(external_id="cust-1"))
    paths = [
        "/sso/settings/",
        f"/sso/settings/boards/{board.pk}/",
        "/sso/revenue/",
        f"/b/ideas/p/{post.pk}-{post.slug}/",
        "/sso/widget/frame/",
    ]
    found = audit(browser, live_server.url, admin, width, paths)
    lines = [f"{path}: {v['id']} {v['targets']}" for path, vs in found.items() for v in vs]
    assert not found, "\n".join(lines)

    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    response = page.goto("/sso/callback?token=expired.bad.token")
    assert response is not None and response.status == 400
    result: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    assert not result["violations"], result["violations"]
    for path in ("/sso/callback?token=x", "/sso/widget/frame/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    context.close()

    signed_in = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    client = Client()
    client.force_login(admin)
    session = client.cookies["sessionid"].value
    signed_in.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = signed_in.new_page()
    for path in paths:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    signed_in.close()
