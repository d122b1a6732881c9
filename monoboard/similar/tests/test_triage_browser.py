"""The triage page in Chromium: no WCAG 2.1 A/AA violation (axe-core) and no
sideways scrolling, at desktop and phone widths, and a merge in one click."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts.models import Role
from monoboard.boards import services
from monoboard.boards.models import Board, Post
from monoboard.core.consumers import drain
from monoboard.e2e.tests.test_axe import audit, browser, fast_hashing, pytestmark  # noqa: F401


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_triage_page_is_accessible_and_merges(
    browser: Browser,  # noqa: F811
    live_server: LiveServer,
    fast_hashing: None,  # noqa: F811
    settings: Any,
    width: int,
) -> None:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    member = make_user("mel@example.com", Role.MEMBER, "Mel Member")
    board = Board.objects.create(name="Feature requests", slug="features")
    first = services.post_create(
        author=member, board=board, title="Import our ideas from Trello", body=""
    )
    second = services.post_create(author=admin, board=board, title="Trello import", body="")
    services.post_create(author=member, board=board, title="Dark mode", body="")
    drain()
    settings.SIMILAR_TRIAGE_THRESHOLD = 0.6
    found = audit(browser, live_server.url, admin, width, ["/similar/"])
    assert not found, found

    client = Client()
    client.force_login(admin)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto("/similar/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.get_by_test_id("pair").count() == 1
        page.get_by_role("button", name="Merge the other way").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("no-pairs").count() == 1
    finally:
        context.close()
    # Equal votes: the newer post is the suggested source, so "the other way" folds the older.
    assert Post.objects.get(pk=first.pk).merged_into_id == second.pk
