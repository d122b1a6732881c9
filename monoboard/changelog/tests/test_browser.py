"""The changelog pages in headless Chromium: no WCAG 2.1 A/AA violation found by
axe-core, and nothing scrolls sideways at phone width (390 px), for a
visitor and for an admin (who also sees the writing pages)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.boards.tests.images import png_upload
from monoboard.changelog import services
from monoboard.e2e.tests.test_axe import AXE, TAGS, browser, fast_hashing, pytestmark

__all__ = ["browser", "fast_hashing", "pytestmark"]


def _site(admin: User, member: User) -> tuple[list[str], list[str]]:
    board = Board.objects.create(name="Feature requests", slug="features")
    secret = Board.objects.create(name="Internal", slug="internal", is_private=True)
    post = boards.post_create(board=board, author=member, title="A dark theme", body="")
    hidden = boards.post_create(board=secret, author=member, title="Secret", body="")
    for n in range(12):
        entry = services.entry_create(
            actor=admin,
            title=f"Release {n} with a rather long title that has to wrap on a phone",
            body="We shipped **things**:\n\n- one\n- two\n\n`a_long_identifier_that_must_wrap`",
            post_ids=[post.pk, hidden.pk],
            mark_shipped=True,
            uploads=[png_upload()] if n == 11 else [],
        )
        services.entry_publish(actor=admin, entry=entry)
    draft = services.entry_create(actor=admin, title="Draft", post_ids=[post.pk])
    public = [
        "/changelog/",
        "/changelog/?page=2",
        f"/changelog/{entry.pk}/{entry.slug}/",
        f"/b/features/p/{post.pk}-{post.slug}/",
    ]
    return public, [
        *public,
        "/changelog/admin/",
        "/changelog/admin/new/",
        f"/changelog/admin/{draft.pk}/",
    ]


def _audit(
    browser: Browser, base_url: str, user: User | None, width: int, paths: list[str]
) -> list[str]:
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems: list[str] = []
    try:
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            result: dict[str, Any] = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
            )
            problems += [
                f"{path} @{width}: {v['id']} {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
            ]
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{path} @{width}: scrolls sideways ({scroll} px)")
    finally:
        context.close()
    return problems


@pytest.mark.django_db(transaction=True)
def test_changelog_pages_pass_axe_at_desktop_and_phone_width(
    browser: Browser, live_server: LiveServer, fast_hashing: None, admin: User, member: User
) -> None:
    public, admin_paths = _site(admin, member)
    problems: list[str] = []
    for width in (1280, 390):
        problems += _audit(browser, live_server.url, None, width, public)
        problems += _audit(browser, live_server.url, admin, width, admin_paths)
    assert not problems, "\n".join(problems)
