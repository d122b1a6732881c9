"""Behind a proxy, every throttle, rate limit and access rule sees the real client.

Requests come from the proxy's address (127.0.0.1) with X-Forwarded-For set
by it. The header is believed only from TRUSTED_PROXIES: a client talking to
the app directly cannot pick the address it is counted under.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from monoboard.accounts.models import User

pytestmark = pytest.mark.django_db
SIGNIN = reverse("accounts:signin")
PROXY = "127.0.0.1"


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128"]


def sign_in(email: str, password: str, *, via: str, client_ip: str) -> int:
    response = Client().post(
        SIGNIN,
        {"email": email, "password": password},
        REMOTE_ADDR=via,
        HTTP_X_FORWARDED_FOR=client_ip,
    )
    return response.status_code


def test_one_guesser_behind_the_proxy_does_not_lock_everyone_out(
    behind_proxy: None, settings: Any, member: User, other_member: User
) -> None:
    for n in range(settings.SIGNIN_MAX_FAILURES):
        assert sign_in(f"guess{n}@example.com", "nope", via=PROXY, client_ip="203.0.113.9") == 200
    assert sign_in(member.email, PASSWORD, via=PROXY, client_ip="203.0.113.9") == 429
    # Someone else, through the same proxy, signs in as usual.
    assert sign_in(other_member.email, PASSWORD, via=PROXY, client_ip="198.51.100.7") == 302


def test_a_forged_header_from_an_untrusted_address_is_ignored(
    behind_proxy: None, settings: Any, member: User
) -> None:
    for n in range(settings.SIGNIN_MAX_FAILURES):
        spoofed = f"198.51.100.{n}"  # a new "client" each time, to dodge the count
        assert (
            sign_in(f"guess{n}@example.com", "nope", via="203.0.113.50", client_ip=spoofed) == 200
        )
    assert sign_in(member.email, PASSWORD, via="203.0.113.50", client_ip="192.0.2.1") == 429


def test_without_a_proxy_the_header_means_nothing(settings: Any, member: User) -> None:
    settings.BEHIND_PROXY, settings.TRUSTED_PROXIES = False, []
    for n in range(settings.SIGNIN_MAX_FAILURES):
        assert sign_in(f"guess{n}@example.com", "nope", via=PROXY, client_ip=f"192.0.2.{n}") == 200
    assert sign_in(member.email, PASSWORD, via=PROXY, client_ip="192.0.2.200") == 429


def test_anonymous_api_callers_each_get_their_own_bucket(behind_proxy: None, settings: Any) -> None:
    settings.API_ANON_RATE_LIMIT_PER_MINUTE = 3
    client = Client()

    def call(ip: str) -> int:
        return client.get("/api/v1/boards", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ip).status_code

    assert [call("203.0.113.1") for _ in range(4)] == [200, 200, 200, 429]
    assert call("203.0.113.2") == 200  # another person through the same proxy


def test_metrics_stay_private_behind_a_proxy_on_the_same_box(
    behind_proxy: None, settings: Any
) -> None:
    settings.METRICS_ACCESS = "local"
    client = Client()
    # A public address (documentation ranges count as private to Python).
    outside = client.get("/metrics", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="93.184.216.34")
    assert outside.status_code == 404
    scraper = client.get("/metrics", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert scraper.status_code == 200


def test_the_rightmost_untrusted_hop_is_the_client(behind_proxy: None, settings: Any) -> None:
    from django.test import RequestFactory

    from monoboard.lib.client_ip import client_ip

    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.8, 10.0.0.2"
    )
    assert client_ip(request) == "203.0.113.8"  # 1.2.3.4 was written by the client itself
    garbled = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbled) == "127.0.0.1"
