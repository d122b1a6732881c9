"""axe-core, injected into every main page in headless Chromium, finds no
WCAG 2.1 A/AA violation: signed out, as a member and as an admin, at desktop
(1280 px) and phone (390 px) widths.

axe-core is pinned in ``monoboard/e2e/package.json``; ``npm ci`` there (run
by ``scripts/test`` where npm exists) installs it. Without it these tests skip.
The violations found are also written to ``var/axe-<persona>-<width>.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts.models import Role, User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
    ),
    pytest.mark.skipif(
        not AXE.exists(),
        reason="axe-core is not installed: run `npm ci` in monoboard/e2e",
    ),
]


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


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_site() -> tuple[User, User, Post]:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    member = make_user("mel@example.com", Role.MEMBER, "Mel Member")
    board = Board.objects.create(name="Feature requests", slug="features", description="Ideas")
    post = services.post_create(
        author=member,
        board=board,
        title="A dark theme for the widget",
        body="We would love a **dark theme**, see https://example.com/x",
    )
    services.comment_create(author=admin, post=post, body="Thanks, noted.")
    for status in Status.objects.exclude(is_default=True):
        other = services.post_create(author=member, board=board, title=f"An idea {status.name}")
        services.post_set_status(actor=admin, post=other, status=status)
    return admin, member, post


def pages(persona: str, post: Post) -> list[str]:
    public = [
        "/",
        "/b/features/",
        f"/b/features/p/{post.pk}-{post.slug}/",
        "/roadmap/",
        "/roadmap/planned/",
        "/search/?q=dark",
    ]
    if persona == "visitor":
        return [*public, "/accounts/signin/", "/accounts/signup/"]
    member = [*public, "/accounts/profile/", "/notifications/", "/notifications/preferences/"]
    if persona == "member":
        return member
    return [
        *member,
        "/settings/",
        "/settings/site/",
        "/settings/branding/",
        "/settings/boards/",
        "/settings/boards/new/",
        "/settings/statuses/",
        "/settings/statuses/new/",
        "/settings/tags/",
        "/accounts/people/",
        "/notifications/admin/",
        "/webhooks/admin/",
        "/jobs/admin/",
        "/ops/scale/",
        "/settings/export/",
    ]


def audit(
    browser: Browser, base_url: str, user: User | None, width: int, paths: list[str]
) -> dict[str, list[dict[str, Any]]]:
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])
    context.add_init_script(path=str(AXE))  # init scripts are not subject to the CSP
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            result = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
            )
            violations = [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "targets": [n["target"] for n in v["nodes"]][:5],
                }
                for v in result["violations"]
            ]
            if violations:
                found[path] = violations
    finally:
        context.close()
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("persona", ["visitor", "member", "admin"])
def test_no_wcag_violations(
    browser: Browser, live_server: LiveServer, fast_hashing: None, persona: str, width: int
) -> None:
    admin, member, post = make_site()
    user = {"visitor": None, "member": member, "admin": admin}[persona]
    found = audit(browser, live_server.url, user, width, pages(persona, post))
    folder = Path(settings.BASE_DIR) / "var"
    folder.mkdir(exist_ok=True)
    (folder / f"axe-{persona}-{width}.json").write_text(json.dumps(found, indent=1))
    lines = [f"{path}: {v['id']} {v['targets']}" for path, vs in found.items() for v in vs]
    assert not found, "\n".join(lines)
