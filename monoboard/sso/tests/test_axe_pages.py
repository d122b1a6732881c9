"""axe-core finds no WCAG 2.1 A/AA violation on the single sign-on pages (admin
settings, board rules, revenue, the refused sign-in, the widget panel) at
desktop and phone widths, and none of them is wider than the window.

All database work happens before Playwright starts: inside its event loop
Django would open a second connection that outlives the test."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.e2e.tests.test_axe import AXE, CHROMIUM, CHROMIUM_ARGS, TAGS, TIMEOUT_MS
from monoboard.e2e.tests.test_axe import pytestmark as axe_marks
from monoboard.sso.tests.conftest import hs256, make_secret, save_settings

pytestmark = [*axe_marks, pytest.mark.django_db(transaction=True)]


def violations(page: Any, path: str) -> list[str]:
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{path}: {v['id']} {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_sso_pages_pass_axe_and_fit_the_window(
    live_server: LiveServer, admin: User, moderator: User, width: int
) -> None:
    from playwright.sync_api import sync_playwright

    board = Board.objects.create(name="Ideas", slug="ideas")
    secret = make_secret(admin)
    save_settings(admin, widget_origins="https://app.customer.example")
    token = hs256(secret, company={"id": "acme", "name": "Acme Ltd", "monthly_revenue": 1200})
    assert Client().get("/sso/callback", {"token": token}).status_code == 302
    post = boards.post_create(board=board, author=moderator, title="Single sign-on for teams")
    boards.vote_toggle(post=post, user=User.objects.get(external_id="cust-1"))
    signed_in = Client()
    signed_in.force_login(admin)
    session = signed_in.cookies["sessionid"].value
    admin_paths = [
        "/sso/settings/",
        f"/sso/settings/boards/{board.pk}/",
        "/sso/revenue/",
        f"/b/ideas/p/{post.pk}-{post.slug}/",
        "/sso/widget/frame/",
    ]
    visitor_paths = {"/sso/callback?token=expired.bad.token": 400, "/sso/widget/frame/": 200}

    found: list[str] = []
    too_wide: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for cookie in (session, None):
                context = browser.new_context(
                    base_url=live_server.url, viewport={"width": width, "height": 900}
                )
                if cookie:
                    context.add_cookies(
                        [{"name": "sessionid", "value": cookie, "url": live_server.url}]
                    )
                context.add_init_script(path=str(AXE))  # init scripts are not subject to the CSP
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                paths = dict.fromkeys(admin_paths, 200) if cookie else visitor_paths
                for path, status in paths.items():
                    response = page.goto(path)
                    assert response is not None and response.status == status, path
                    found += violations(page, path)
                    if page.evaluate("document.documentElement.scrollWidth") > width:
                        too_wide.append(path)
                context.close()
        finally:
            browser.close()
    assert not found, "\n".join(found)
    assert not too_wide, too_wide
