"""In Chromium: the vote button toggles in place through app.js, and a visitor
who clicks it is sent to sign in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards.models import Board, Post
from monoboard.boards.tests.pages import make_post, post_url

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 10_000
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def test_vote_button_toggles_in_place_and_visitors_go_to_sign_in(
    live_server: Any, member: User, other_member: User, public_board: Board
) -> None:
    from playwright.sync_api import sync_playwright

    post = make_post(public_board, member, title="Offline mode")
    client = Client()
    client.force_login(other_member)
    session = client.cookies["sessionid"].value
    board_url = f"{live_server.url}/b/{public_board.slug}/"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            signed_in = browser.new_context()
            signed_in.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = signed_in.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(board_url)
            button = page.locator("[data-testid=vote-button]").first
            button.click()
            page.wait_for_selector("[data-testid=vote-button][aria-pressed=true]")
            assert button.locator("[data-testid=vote-count]").inner_text() == "2"
            assert page.url == board_url  # updated in place, no reload
            button.click()
            page.wait_for_selector("[data-testid=vote-button][aria-pressed=false]")
            assert button.locator("[data-testid=vote-count]").inner_text() == "1"

            visitor = browser.new_context().new_page()
            visitor.set_default_timeout(WAIT_MS)
            visitor.goto(live_server.url + post_url(post))
            visitor.locator("[data-testid=vote-button]").click()
            visitor.wait_for_url("**/accounts/signin/**")
            assert "next=" in visitor.url
        finally:
            browser.close()
    assert Post.objects.get(pk=post.pk).vote_count == 1
