"""Security headers on every page: a strict Content-Security-Policy, framing,
referrer and permissions policies, HSTS only over TLS; and, in Chromium, no
page of the product breaks its own policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board

CHROMIUM = "/usr/bin/chromium"


def directives(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_pages_carry_a_strict_policy(outsider_client: Client, public_board: Board) -> None:
    response = outsider_client.get(reverse("boards:home"))
    assert response.status_code == 200
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert "'self'" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response


def test_board_pages_may_connect_to_the_event_stream(
    outsider_client: Client, public_board: Board
) -> None:
    response = outsider_client.get(reverse("boards:board", args=[public_board.slug]))
    assert "http://testserver:81" in directives(response)["connect-src"]


def test_api_docs_and_sign_in_carry_the_policy(outsider_client: Client) -> None:
    for path in ("/api/v1/docs", reverse("accounts:signin")):
        response = outsider_client.get(path)
        assert response.status_code == 200
        assert directives(response)["frame-ancestors"] == ["'none'"]


def test_hsts_only_over_tls(outsider_client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    secure = outsider_client.get(reverse("boards:home"), secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in outsider_client.get(reverse("boards:home"))


def test_no_template_has_inline_script_or_event_handlers() -> None:
    root = Path(settings.BASE_DIR) / "monoboard"
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        if "/email/" in str(template):
            continue  # emails are not pages
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and "csp_nonce" not in tag and "application/json" not in tag:
                offenders.append(f"{template}: {tag}")
        offenders += [f"{template}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        offenders += [f"{template}: javascript:" for _ in re.findall("javascript:", text)]
    assert offenders == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
def test_chromium_reports_no_policy_violation(
    live_server: Any, public_board: Board, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    post = boards.post_create(board=public_board, author=member, title="Dark mode please")
    signed_in = Client()
    signed_in.force_login(member)
    signed_in.post("/api/keys/new/", {"name": "script"})  # the profile shows its secret once
    base = live_server.url
    pages = [
        "/",
        "/roadmap/",
        f"/b/{public_board.slug}/",
        f"/b/{public_board.slug}/p/{post.pk}-{post.slug}/",
        "/accounts/profile/",
        "/accounts/signin/",
        "/api/v1/docs",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
        )
        try:
            context = browser.new_context()
            context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": signed_in.cookies["sessionid"].value,
                        "url": base,
                    }
                ]
            )
            context.add_init_script(
                "window.__violations = [];"
                "document.addEventListener('securitypolicyviolation', e => "
                "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            for path in pages:
                page.goto(base + path, wait_until="networkidle")
                if path == "/api/v1/docs":
                    page.wait_for_selector(".swagger-ui .info", timeout=10_000)
                violations = page.evaluate("window.__violations")
                assert violations == [], (path, violations)
            assert [line for line in console if "Content Security Policy" in line] == []
        finally:
            browser.close()
