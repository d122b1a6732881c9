"""API keys (profile page) and client-app tokens (/auth/token, /auth/revoke)."""

from __future__ import annotations

import datetime
import hashlib
import re
from typing import Any

from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from monoboard.accounts import credentials
from monoboard.accounts.models import APIKey, RefreshToken, User
from monoboard.api.tests.conftest import ApiClient


def _sign_in(anon: ApiClient, email: str = "mem@example.com") -> dict[str, Any]:
    response = anon.post(
        "/auth/token", {"grant_type": "password", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def _refresh(anon: ApiClient, token: str) -> Any:
    return anon.post("/auth/token", {"grant_type": "refresh_token", "refresh_token": token})


# --- API keys -----------------------------------------------------------------------


def test_key_created_on_profile_is_shown_once_and_stored_hashed(
    member_client: Client, member: User
) -> None:
    response = member_client.post("/api/keys/new/", {"name": "CRM sync"}, follow=True)
    page = response.content.decode()
    match = re.search(r'value="(mb_[A-Za-z0-9_-]{40,})"', page)
    assert match, "the new key is shown on the profile page"
    secret = match.group(1)
    key = APIKey.objects.get(user=member)
    assert key.name == "CRM sync"
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(APIKey.objects.values().get())
    again = member_client.get("/accounts/profile/").content.decode()
    assert secret not in again and "CRM sync" in again
    me = ApiClient(secret).get("/me").json()
    assert me["email"] == "mem@example.com"


def test_revoked_key_is_refused(member_client: Client, member: User) -> None:
    new = credentials.api_key_create(actor=member, name="old script")
    assert ApiClient(new.secret).get("/me").status_code == 200
    member_client.post(f"/api/keys/{new.key.pk}/revoke/")
    response = ApiClient(new.secret).get("/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_another_persons_key_cannot_be_revoked(member_client: Client, other_member: User) -> None:
    new = credentials.api_key_create(actor=other_member, name="theirs")
    member_client.post(f"/api/keys/{new.key.pk}/revoke/")
    assert ApiClient(new.secret).get("/me").status_code == 200


def test_last_used_is_written_at_most_once_a_minute(member: User) -> None:
    new = credentials.api_key_create(actor=member, name="poller")
    api = ApiClient(new.secret)
    api.get("/me")
    first = APIKey.objects.get(pk=new.key.pk).last_used_at
    assert first is not None
    api.get("/me")
    assert APIKey.objects.get(pk=new.key.pk).last_used_at == first
    APIKey.objects.filter(pk=new.key.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    api.get("/me")
    assert APIKey.objects.get(pk=new.key.pk).last_used_at > first  # type: ignore[operator]


def test_unknown_bearer_is_401_problem(anon_api: ApiClient) -> None:
    response = ApiClient("mb_not-a-real-key").get("/boards")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- Tokens -------------------------------------------------------------------------


def test_password_grant_issues_tokens_that_work(anon_api: ApiClient, member: User) -> None:
    tokens = _sign_in(anon_api)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    assert ApiClient(tokens["access_token"]).get("/me").json()["id"] == member.pk


def test_wrong_password_is_401(anon_api: ApiClient, member: User) -> None:
    response = anon_api.post(
        "/auth/token", {"grant_type": "password", "email": member.email, "password": "nope"}
    )
    assert response.status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(anon_api: ApiClient, member: User) -> None:
    first = _sign_in(anon_api)
    second = _refresh(anon_api, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # The old token again: someone copied it. Everything of this sign-in dies.
    reuse = _refresh(anon_api, first["refresh_token"])
    assert reuse.status_code == 401
    assert _refresh(anon_api, rotated["refresh_token"]).status_code == 401
    assert not RefreshToken.objects.filter(user=member, revoked_at__isnull=True).exists()


def test_reuse_in_one_family_leaves_other_sign_ins_alone(anon_api: ApiClient, member: User) -> None:
    phone = _sign_in(anon_api)
    laptop = _sign_in(anon_api)
    _refresh(anon_api, phone["refresh_token"])
    _refresh(anon_api, phone["refresh_token"])  # reuse
    assert _refresh(anon_api, laptop["refresh_token"]).status_code == 200


def test_sign_out_revokes_the_family(anon_api: ApiClient, member: User) -> None:
    tokens = _sign_in(anon_api)
    rotated = _refresh(anon_api, tokens["refresh_token"]).json()
    response = anon_api.post("/auth/revoke", {"refresh_token": rotated["refresh_token"]})
    assert response.status_code == 204
    assert _refresh(anon_api, rotated["refresh_token"]).status_code == 401


def test_expired_refresh_token_is_refused(anon_api: ApiClient, member: User) -> None:
    tokens = _sign_in(anon_api)
    RefreshToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _refresh(anon_api, tokens["refresh_token"]).status_code == 401


def test_expired_access_token_is_401(member: User) -> None:
    import uuid

    old = credentials.issue_access_token(
        member, uuid.uuid4(), now=timezone.now() - datetime.timedelta(minutes=16)
    )
    fresh = credentials.issue_access_token(
        member, uuid.uuid4(), now=timezone.now() - datetime.timedelta(minutes=14)
    )
    expired = ApiClient(old).get("/me")
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]
    assert ApiClient(fresh).get("/me").status_code == 200


def test_tampered_access_token_is_401(anon_api: ApiClient, member: User) -> None:
    token = _sign_in(anon_api)["access_token"]
    assert ApiClient(token[:-2] + "xx").get("/me").status_code == 401


def test_expired_refresh_tokens_are_pruned(anon_api: ApiClient, member: User) -> None:
    from monoboard.api.tasks import prune_refresh_tokens

    _sign_in(anon_api)
    assert prune_refresh_tokens.call() == 0
    RefreshToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert prune_refresh_tokens.call() == 1


def test_profile_links_admins_to_webhooks(admin_client: Client, member_client: Client) -> None:
    assert "/webhooks/admin/" in admin_client.get("/accounts/profile/").content.decode()
    assert "/webhooks/admin/" not in member_client.get("/accounts/profile/").content.decode()
