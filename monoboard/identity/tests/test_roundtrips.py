"""How many requests, and how long, a sign-in takes: the emailed-code flow and
the OpenID Connect flow against the loopback provider, each over real HTTP.

The counts are pinned; the times are printed (``pytest -s``) for docs/accounts.md.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from monoboard.accounts.models import User
from monoboard.identity.tests.test_passwordless import run_jobs
from monoboard.notifications.models import OutboxEmail
from monoboard.testing.oidc_provider import LoopbackProvider, ProviderUser, oidc_provider

ROUNDS = 10


class CountingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(f"{request.method} {request.path_url.split('?')[0]}")
        return super().send(request, **kwargs)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _report(name: str, times: list[float], requests_each: int, extra: str = "") -> None:
    print(
        f"\n{name}: {requests_each} browser requests{extra}; "
        f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
        f"over {len(times)} sign-ins"
    )


@pytest.fixture
def provider() -> Iterator[LoopbackProvider]:
    with oidc_provider(client_id="rt", client_secret="rt-secret") as running:
        yield running


def test_code_flow_round_trips(live_server: Any, admin: User, settings: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.SIGNIN_FAILURE_WINDOW = 900
    base = live_server.url
    times: list[float] = []
    counts: set[int] = set()
    known: list[float] = []  # asking for a code: an address with an account ...
    unknown: list[float] = []  # ... and one without
    for n in range(ROUNDS):
        email = f"person{n}@example.org"
        User.objects.create_user(email=email, password=None)
        browser = CountingSession()
        form = browser.get(f"{base}/accounts/email/")  # the page with the form
        browser.sent.clear()
        started = time.perf_counter()
        page = browser.post(
            f"{base}/accounts/email/",
            data={"email": email, "csrfmiddlewaretoken": _csrf(form.text)},
        )
        asked = time.perf_counter() - started
        run_jobs()  # the worker sends the mail (not timed: it is not the person's wait)
        body = OutboxEmail.objects.filter(recipient=email).get().body
        code = re.search(r"Your code: (\d{6})", body)
        assert code
        started = time.perf_counter()
        landed = browser.post(
            f"{base}/accounts/email/code/",
            data={"code": code.group(1), "csrfmiddlewaretoken": _csrf(page.text)},
        )
        times.append(asked + time.perf_counter() - started)
        assert landed.status_code == 200 and "Sign out" in landed.text
        counts.add(len(browser.sent))
        known.append(asked)
        stranger = requests.Session()
        form = stranger.get(f"{base}/accounts/email/")
        started = time.perf_counter()
        answer = stranger.post(
            f"{base}/accounts/email/",
            data={"email": f"nobody{n}@example.org", "csrfmiddlewaretoken": _csrf(form.text)},
        )
        unknown.append(time.perf_counter() - started)
        assert answer.url == page.url  # the same "check your email" page
    # POST address -> 302, GET code page, POST code -> 302, GET the landing page.
    assert counts == {4}
    _report("email code flow", times, 4, " (not counting the email)")
    print(
        f"asking for a code: median {statistics.median(known) * 1000:.1f} ms for an address "
        f"with an account, {statistics.median(unknown) * 1000:.1f} ms for one without"
    )


def test_oidc_flow_round_trips(
    live_server: Any, admin: User, settings: Any, provider: LoopbackProvider
) -> None:
    settings.SITE_URL = live_server.url
    settings.SIGNIN_PROVIDERS = {
        "oidc": {
            "client_id": "rt",
            "client_secret": "rt-secret",
            "issuer": provider.issuer,
            "name": "Loopback",
        }
    }
    times: list[float] = []
    server_calls: list[int] = []
    for n in range(ROUNDS):
        provider.user = ProviderUser(sub=f"rt-{n}", email=f"rt{n}@example.org")
        browser = CountingSession()
        before = len(provider.requests)
        started = time.perf_counter()
        landed = browser.get(f"{live_server.url}/accounts/oidc/oidc/")
        times.append(time.perf_counter() - started)
        assert "Sign out" in landed.text
        # start -> 302, provider's authorize -> 302, callback -> 302, landing page
        assert len(browser.sent) == 4, browser.sent
        server_calls.append(len(provider.requests) - before - 1)  # less the browser's authorize
    # The first sign-in fetches discovery, the token and the key set; later ones
    # reuse discovery and keys: only the token exchange.
    assert server_calls[0] == 3
    assert set(server_calls[1:]) == {1}
    _report("OIDC flow", times, 4, f" + {server_calls[0]} server-to-provider on the first, 1 after")
