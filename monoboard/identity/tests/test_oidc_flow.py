"""The whole authorisation-code flow over HTTP: monoboard served by a live
server, a real OpenID Connect provider (Authlib's server side) on another
loopback port, and a ``requests`` session as the browser."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.test import Client

from monoboard.accounts.models import User
from monoboard.identity.models import LinkedIdentity
from monoboard.testing.oidc_provider import LoopbackProvider, ProviderUser, oidc_provider

CLIENT_ID = "monoboard-test"
CLIENT_SECRET = "loopback-client-secret"


@pytest.fixture
def provider() -> Iterator[LoopbackProvider]:
    with oidc_provider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as running:
        yield running


@pytest.fixture
def board(live_server: Any, provider: LoopbackProvider, admin: User, settings: Any) -> str:
    """monoboard's address, with the provider configured by environment settings."""
    settings.SITE_URL = live_server.url
    settings.SIGNIN_PROVIDERS = {
        "oidc": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "issuer": provider.issuer,
            "name": "Loopback ID",
        },
        "github": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "issuer": provider.issuer,  # GitHub Enterprise's layout, served by the provider
            "name": "GitHub",
        },
    }
    return str(live_server.url)


def _signed_in_email(browser: requests.Session, board: str) -> str | None:
    page = browser.get(f"{board}/accounts/profile/", allow_redirects=False)
    if page.status_code != 200:
        return None
    found = re.search(r'name="email"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="email"', page.text
    )
    return found.group(1) if found else None


def _to_provider(browser: requests.Session, board: str, slug: str = "oidc") -> str:
    """Start signing in; the provider's answer (the callback address), not yet followed."""
    start = browser.get(f"{board}/accounts/oidc/{slug}/", allow_redirects=False)
    assert start.status_code == 302, start.text
    authorize = browser.get(start.headers["Location"], allow_redirects=False)
    assert authorize.status_code == 302, authorize.text
    callback = str(authorize.headers["Location"])
    assert callback.startswith(f"{board}/accounts/oidc/{slug}/callback/")
    return callback


def test_new_person_signs_up_through_the_provider(board: str, provider: LoopbackProvider) -> None:
    browser = requests.Session()
    landed = browser.get(f"{board}/accounts/oidc/oidc/?next=/accounts/profile/")
    assert landed.status_code == 200
    assert urlsplit(landed.url).path == "/accounts/profile/"
    assert _signed_in_email(browser, board) == "grace@example.com"
    user = User.objects.get(email="grace@example.com")
    assert not user.has_usable_password()
    assert user.name == "Grace Hopper"
    link = LinkedIdentity.objects.get(user=user)
    assert (link.provider, link.subject) == ("oidc", "user-1")
    # The provider saw discovery, authorize, jwks and token; PKCE and nonce were sent.
    assert "GET /authorize" in provider.requests
    assert "POST /token" in provider.requests


def test_existing_account_is_linked_by_verified_email(
    board: str, provider: LoopbackProvider, member: User
) -> None:
    provider.user = ProviderUser(sub="user-7", email=member.email.upper(), name="Mel")
    browser = requests.Session()
    browser.get(f"{board}/accounts/oidc/oidc/")
    assert _signed_in_email(browser, board) == member.email
    assert LinkedIdentity.objects.filter(user=member, subject="user-7").exists()
    assert User.objects.filter(email__iexact=member.email).count() == 1
    # The second time the link itself signs in, even if the address changed there.
    provider.user = ProviderUser(sub="user-7", email="new@example.net", email_verified=False)
    again = requests.Session()
    again.get(f"{board}/accounts/oidc/oidc/")
    assert _signed_in_email(again, board) == member.email


def _signed_in_browser(board: str, user: User) -> requests.Session:
    client = Client()
    client.force_login(user)
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    return browser


def test_signed_in_person_links_another_account(
    board: str, provider: LoopbackProvider, member: User
) -> None:
    provider.user = ProviderUser(sub="user-9", email="mel.elsewhere@example.net")
    browser = _signed_in_browser(board, member)
    page = browser.get(f"{board}/accounts/connections/")
    assert "Link Loopback ID" in page.text
    landed = browser.get(f"{board}/accounts/oidc/oidc/?next=/accounts/connections/")
    assert urlsplit(landed.url).path == "/accounts/connections/"
    assert "Your Loopback ID account is linked" in landed.text
    link = LinkedIdentity.objects.get(subject="user-9")
    assert link.user_id == member.pk
    assert not User.objects.filter(email="mel.elsewhere@example.net").exists()


def test_an_account_linked_to_someone_else_is_refused(
    board: str, provider: LoopbackProvider, member: User, other_member: User
) -> None:
    provider.user = ProviderUser(sub="user-5", email=member.email)
    requests.Session().get(f"{board}/accounts/oidc/oidc/")  # member's link
    browser = _signed_in_browser(board, other_member)
    answer = browser.get(_to_provider(browser, board), allow_redirects=False)
    _assert_refused(answer, "already linked to another person here")
    assert list(LinkedIdentity.objects.values_list("user_id", flat=True)) == [member.pk]


def test_github_flow_uses_the_api_for_verified_addresses(
    board: str, provider: LoopbackProvider
) -> None:
    provider.user = ProviderUser(sub="user-42", email="linus@example.org", name="Linus")
    browser = requests.Session()
    browser.get(f"{board}/accounts/oidc/github/")
    assert _signed_in_email(browser, board) == "linus@example.org"
    assert LinkedIdentity.objects.get(provider="github").subject == "42"
    assert "GET /api/v3/user/emails" in provider.requests


def test_github_unverified_address_is_refused(board: str, provider: LoopbackProvider) -> None:
    provider.user = ProviderUser(sub="user-43", email="eve@example.org", email_verified=False)
    browser = requests.Session()
    answer = browser.get(_to_provider(browser, board, "github"), allow_redirects=False)
    _assert_refused(answer, "GitHub did not confirm that eve@example.org is your address")
    assert not User.objects.filter(email="eve@example.org").exists()


def _assert_refused(answer: requests.Response, words: str) -> None:
    assert answer.status_code == 400, answer.text
    assert "Sign-in did not work" in answer.text
    assert words in answer.text


def test_tampered_state_is_refused(board: str, provider: LoopbackProvider) -> None:
    browser = requests.Session()
    callback = _to_provider(browser, board)
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = [query["state"][0][:-2] + "xx"]
    tampered = f"{board}{parts.path}?{urlencode({k: v[0] for k, v in query.items()})}"
    answer = browser.get(tampered, allow_redirects=False)
    _assert_refused(answer, "does not belong to a sign-in this browser started")
    assert "POST /token" not in provider.requests  # the code was never exchanged
    assert not User.objects.filter(email="grace@example.com").exists()
    assert _signed_in_email(browser, board) is None


def test_callback_in_another_browser_is_refused(board: str, provider: LoopbackProvider) -> None:
    callback = _to_provider(requests.Session(), board)
    answer = requests.get(callback, allow_redirects=False, timeout=10)
    _assert_refused(answer, "does not belong to a sign-in this browser started")
    assert not LinkedIdentity.objects.exists()


def test_wrong_nonce_is_refused(board: str, provider: LoopbackProvider) -> None:
    provider.nonce_override = "not-the-nonce-we-sent"
    browser = requests.Session()
    answer = browser.get(_to_provider(browser, board), allow_redirects=False)
    _assert_refused(answer, "ID token failed its checks (nonce)")
    assert not User.objects.filter(email="grace@example.com").exists()
    assert not LinkedIdentity.objects.exists()


def test_expired_code_is_refused(board: str, provider: LoopbackProvider) -> None:
    provider.code_ttl_s = 0.2
    browser = requests.Session()
    callback = _to_provider(browser, board)
    time.sleep(0.4)
    answer = browser.get(callback, allow_redirects=False)
    _assert_refused(answer, "refused the sign-in (invalid_grant")
    assert not User.objects.filter(email="grace@example.com").exists()


def test_replayed_callback_is_refused(board: str, provider: LoopbackProvider) -> None:
    browser = requests.Session()
    callback = _to_provider(browser, board)
    assert browser.get(callback, allow_redirects=False).status_code == 302
    answer = browser.get(callback, allow_redirects=False)  # the same answer again
    _assert_refused(answer, "does not belong to a sign-in this browser started")
    assert LinkedIdentity.objects.count() == 1


def test_unverified_email_is_refused(board: str, provider: LoopbackProvider, member: User) -> None:
    for email in ("grace@example.com", member.email):  # new, and someone else's account
        provider.user = ProviderUser(sub=f"sub-{email}", email=email, email_verified=False)
        browser = requests.Session()
        answer = browser.get(_to_provider(browser, board), allow_redirects=False)
        _assert_refused(answer, f"did not confirm that {email} is your address")
        assert _signed_in_email(browser, board) is None
    assert not User.objects.filter(email="grace@example.com").exists()
    assert not LinkedIdentity.objects.exists()


def test_sign_up_closed_makes_no_account(
    board: str, provider: LoopbackProvider, settings: Any
) -> None:
    settings.SIGNUP_OPEN = False
    browser = requests.Session()
    answer = browser.get(_to_provider(browser, board), allow_redirects=False)
    _assert_refused(answer, "sign-up is closed")
    assert not User.objects.filter(email="grace@example.com").exists()
    assert not LinkedIdentity.objects.exists()


def test_provider_down_gives_a_clear_page(live_server: Any, admin: User, settings: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.SIGNIN_PROVIDERS = {
        "oidc": {
            "client_id": "x",
            "client_secret": "y",
            "issuer": "http://127.0.0.1:9",
            "name": "Gone",
        }
    }
    answer = requests.get(
        f"{live_server.url}/accounts/oidc/oidc/", allow_redirects=False, timeout=10
    )
    assert answer.status_code == 502
    assert "Gone could not be reached" in answer.text
