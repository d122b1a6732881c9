"""The sign-in pages pass axe-core's WCAG 2.1 A/AA checks in headless
Chromium at desktop and phone (390 px) widths, and fit a phone's width."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from conftest import make_user
from monoboard.accounts.models import Role
from monoboard.e2e.tests.test_axe import AXE, TAGS, TIMEOUT_MS, browser, pytestmark  # noqa: F401
from monoboard.identity.models import LinkedIdentity, Provider


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_sign_in_pages_pass_axe(
    browser: Browser,  # noqa: F811
    live_server: LiveServer,
    settings: Any,
    width: int,
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = live_server.url
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    member = make_user("mel@example.com", Role.MEMBER, "Mel Member")
    provider = Provider.objects.create(
        slug="acme",
        kind="oidc",
        name="Acme SSO",
        client_id="id",
        client_secret="secret-value",
        issuer="https://id.acme.example",
    )
    LinkedIdentity.objects.create(user=member, provider="acme", subject="1", email=member.email)
    visitor = Client()
    visitor.post("/accounts/email/", {"email": "someone@example.org"})  # a pending code page
    personas = {
        "visitor": (visitor, ["/accounts/signin/", "/accounts/email/", "/accounts/email/code/"]),
        "member": (Client(), ["/accounts/connections/"]),
        "admin": (
            Client(),
            ["/settings/sign-in/", "/settings/sign-in/new/", f"/settings/sign-in/{provider.pk}/"],
        ),
    }
    personas["member"][0].force_login(member)
    personas["admin"][0].force_login(admin)
    found: dict[str, Any] = {}
    for client, paths in personas.values():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            for path in paths:
                response = page.goto(path)
                assert response is not None and response.status == 200, path
                result = page.evaluate(
                    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
                )
                if result["violations"]:
                    found[path] = [
                        (v["id"], [n["target"] for n in v["nodes"]][:3])
                        for v in result["violations"]
                    ]
                overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
                assert not overflow, f"{path} is wider than {width} px"
        finally:
            context.close()
    assert not found, found
