"""Sign-in paths, credentials after a password change, sign-up and profile
answers, and the throttle's counters shared between processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from monoboard.accounts import credentials, throttle
from monoboard.accounts.models import APIKey, RefreshToken, User
from monoboard.accounts.tests.test_password_reset import NEW_PASSWORD, link_in, run_jobs
from monoboard.realtime.tests.sse_client import child_database_url

SIGNIN = reverse("accounts:signin")
SIGNUP = reverse("accounts:signup")
PROFILE = reverse("accounts:profile")
ADMIN_LOGIN = "/django-admin/login/"
GOOD_PASSWORD = "a sturdy walrus lantern"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def api_tokens(email: str, password: str) -> dict[str, Any]:
    response = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"grant_type": "password", "email": email, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def refresh_status(refresh_token: str) -> int:
    response = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"grant_type": "refresh_token", "refresh_token": refresh_token}),
        content_type="application/json",
    )
    return int(response.status_code)


def api_key_status(secret: str) -> int:
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    return int(response.status_code)


# --- the Django admin's login goes through the product's sign-in ---------------------


def test_django_admin_login_cannot_bypass_the_signin_throttle(admin: User) -> None:
    guesser = Client()
    for n in range(30):
        response = guesser.post(
            ADMIN_LOGIN,
            {"username": admin.email, "password": f"wrong guess {n}", "next": "/django-admin/"},
            REMOTE_ADDR="10.7.0.1",
        )
        assert response.status_code != 200  # no admin login form that checks passwords
        assert not signed_in(guesser)
    # The product's sign-in is locked for this address after its own failures...
    for n in range(10):
        guesser.post(
            SIGNIN, {"email": admin.email, "password": f"again {n}"}, REMOTE_ADDR="10.7.0.1"
        )
    locked = guesser.post(SIGNIN, {"email": admin.email, "password": PASSWORD})
    assert locked.status_code == 429
    # ...and the admin's login page does not take the right password either.
    right = guesser.post(
        ADMIN_LOGIN, {"username": admin.email, "password": PASSWORD}, REMOTE_ADDR="10.7.0.1"
    )
    assert not signed_in(guesser)
    assert right.status_code == 302
    assert right["Location"].startswith(SIGNIN)


def test_django_admin_login_sends_people_to_the_product_signin(admin: User) -> None:
    client = Client()
    response = client.get("/django-admin/")
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 302
    assert landing["Location"].startswith(SIGNIN)
    assert "next=/django-admin/" in landing["Location"]
    done = client.post(
        landing["Location"], {"email": admin.email, "password": PASSWORD, "next": "/django-admin/"}
    )
    assert done.status_code == 302
    assert done["Location"] == "/django-admin/"
    assert client.get("/django-admin/").status_code == 200


# --- password change and reset end sessions and revoke credentials -------------------


def test_password_change_ends_other_sessions_and_revokes_refresh_tokens(member: User) -> None:
    other_session = Client()
    other_session.force_login(member)
    tokens = api_tokens(member.email, PASSWORD)
    key = credentials.api_key_create(actor=member, name="script").secret
    me = Client()
    me.force_login(member)

    response = me.post(
        PROFILE,
        {
            "action": "password",
            "current_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert me.get(PROFILE).status_code == 200  # this session stays signed in
    assert other_session.get(PROFILE).status_code == 302  # every other one ends
    assert refresh_status(tokens["refresh_token"]) == 401
    assert not RefreshToken.objects.filter(user=member, revoked_at__isnull=True).exists()
    assert api_key_status(key) == 200  # the owner changed it knowingly: keys stay


def test_password_reset_revokes_sessions_refresh_tokens_and_api_keys(
    member: User, mailoutbox: list[EmailMessage], settings: Any
) -> None:
    settings.SITE_URL = "https://feedback.example.com"
    session = Client()
    session.force_login(member)
    tokens = api_tokens(member.email, PASSWORD)
    key = credentials.api_key_create(actor=member, name="Deploy script").secret

    visitor = Client()
    visitor.post(reverse("accounts:reset_request"), {"email": member.email})
    run_jobs()
    path = link_in(mailoutbox[-1], settings.SITE_URL)
    mailoutbox.clear()
    done = visitor.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302

    assert session.get(PROFILE).status_code == 302
    assert refresh_status(tokens["refresh_token"]) == 401
    assert api_key_status(key) == 401
    assert not APIKey.objects.filter(user=member, revoked_at__isnull=True).exists()

    run_jobs()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    body = str(message.body)
    assert "Deploy script" in body
    assert "1 API key" in body
    assert "signed out" in body


# --- sign-up does not say which addresses have accounts ------------------------------


def test_signup_with_a_taken_address_answers_as_for_a_new_one(
    member: User, mailoutbox: list[EmailMessage]
) -> None:
    fresh = Client().post(
        SIGNUP, {"email": "brand.new@example.com", "name": "Sam", "password": GOOD_PASSWORD}
    )
    taken_client = Client()
    taken = taken_client.post(
        SIGNUP, {"email": "MEM@example.com", "name": "Sam", "password": GOOD_PASSWORD}
    )
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert b"already exists" not in taken.content
    landing = taken_client.get(taken["Location"])
    assert b"already exists" not in landing.content
    assert User.objects.filter(email__iexact="mem@example.com").count() == 1
    member.refresh_from_db()
    assert member.check_password(PASSWORD)

    run_jobs()
    to_owner = [m for m in mailoutbox if m.to == [member.email]]
    assert len(to_owner) == 1
    assert "tried to sign up" in str(to_owner[0].body)
    assert "/accounts/password-reset/" in str(to_owner[0].body)


def test_signup_with_a_taken_address_still_reports_a_weak_password(member: User) -> None:
    response = Client().post(SIGNUP, {"email": member.email, "password": "123"})
    errors = response.context["form"].errors
    assert "email" not in errors
    assert errors["password"]


# --- the profile form answers invalid input with 400 ---------------------------------


def test_invalid_profile_input_answers_400(member_client: Client) -> None:
    bad_email = member_client.post(PROFILE, {"action": "profile", "name": "Mel", "email": "nope"})
    assert bad_email.status_code == 400
    assert bad_email.context["profile_form"].errors["email"]
    bad_password = member_client.post(
        PROFILE,
        {
            "action": "password",
            "current_password": "not it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert bad_password.status_code == 400


# --- the throttle counts for every process on the box ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_throttle_counts_are_shared_between_processes(member: User, tmp_path: Any) -> None:
    script = (
        "import django; django.setup()\n"
        "from monoboard.accounts import throttle\n"
        "for _ in range(6):\n"
        "    throttle.record_failure(email='mem@example.com', ip='10.8.0.1')\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "MONOBOARD_DATA_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
    }
    subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR, check=True, timeout=60
    )
    # This process adds four failures of its own: ten in all lock the address.
    for n in range(4):
        Client().post(
            SIGNIN, {"email": member.email, "password": f"no {n}"}, REMOTE_ADDR="10.8.0.2"
        )
    assert throttle.is_locked(email=member.email, ip="")
    locked = Client().post(
        SIGNIN, {"email": member.email, "password": PASSWORD}, REMOTE_ADDR="10.8.0.3"
    )
    assert locked.status_code == 429
