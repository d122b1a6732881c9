"""In Chromium: typing a title on the board page shows similar ideas, and
voting from that list counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post
from monoboard.core.consumers import drain
from monoboard.search.tests.conftest import ensure_statuses

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 10_000
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def test_similar_ideas_while_typing_and_vote_from_the_list(
    live_server: Any, member: User, other_member: User, public_board: Board
) -> None:
    from playwright.sync_api import sync_playwright

    ensure_statuses()
    post = services.post_create(
        board=public_board, author=member, title="Dark mode for the mobile app"
    )
    services.post_create(board=public_board, author=member, title="Export boards to CSV")
    drain()  # the jobs worker's consumers index both posts
    client = Client()
    client.force_login(other_member)
    session = client.cookies["sessionid"].value

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context()
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(f"{live_server.url}/b/features/")
            page.fill("input[name=title]", "dark mod")
            item = page.locator(".similar-posts .similar-item")
            item.first.wait_for(state="visible")
            assert item.count() == 1
            assert item.first.locator(".similar-title").inner_text() == post.title
            button = item.first.locator("button.vote")
            button.click()
            page.wait_for_selector(".similar-item button.vote[aria-pressed=true]")
            assert button.inner_text().strip() == "▲ 2"
        finally:
            browser.close()
    assert Post.objects.get(pk=post.pk).vote_count == 2
