from __future__ import annotations

from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from monoboard.accounts.models import User

SIGNIN = reverse("accounts:signin")
LOCKED = b"Too many failed sign-in attempts"


def fail(client: Client, email: str, ip: str = "10.0.0.1") -> int:
    response = client.post(SIGNIN, {"email": email, "password": "wrong guess"}, REMOTE_ADDR=ip)
    return response.status_code


def test_ten_failures_for_one_email_lock_it(outsider_client: Client, member: User) -> None:
    # Failures come from many addresses; the email's own count still locks it.
    assert [fail(outsider_client, member.email, ip=f"10.0.1.{n}") for n in range(10)] == [200] * 10
    locked = outsider_client.post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.0.2.1"
    )
    assert locked.status_code == 429
    assert LOCKED in locked.content
    assert b'value="mem@example.com"' in locked.content
    # Other people still sign in from elsewhere.
    other = Client().post(
        SIGNIN, {"email": "ada@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.2.2"
    )
    assert other.status_code == 302


def test_ten_failures_from_one_address_lock_it(outsider_client: Client, member: User) -> None:
    for n in range(10):
        assert fail(outsider_client, f"guess{n}@example.com", ip="10.9.9.9") == 200
    refused = outsider_client.post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert refused.status_code == 429
    allowed = Client().post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.9.9.10"
    )
    assert allowed.status_code == 302


def test_nine_failures_then_success_clears_the_count(outsider_client: Client, member: User) -> None:
    for n in range(9):
        fail(outsider_client, member.email, ip=f"10.0.3.{n}")
    ok = Client().post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.0.4.1"
    )
    assert ok.status_code == 302
    for n in range(9):
        assert fail(outsider_client, member.email, ip=f"10.0.5.{n}") == 200
    again = Client().post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.0.4.2"
    )
    assert again.status_code == 302


def test_limit_follows_settings(outsider_client: Client, member: User, settings: object) -> None:
    settings.SIGNIN_MAX_FAILURES = 2  # type: ignore[attr-defined]
    fail(outsider_client, member.email, ip="10.0.6.1")
    fail(outsider_client, member.email, ip="10.0.6.2")
    refused = outsider_client.post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.0.6.3"
    )
    assert refused.status_code == 429
