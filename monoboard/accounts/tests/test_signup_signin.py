from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from monoboard.accounts.models import Role, User

SIGNUP = reverse("accounts:signup")
SIGNIN = reverse("accounts:signin")
SIGNOUT = reverse("accounts:signout")
GOOD_PASSWORD = "a lantern on the hill"


def signed_in_email(client: Client) -> str | None:
    response = client.get(reverse("accounts:profile"))
    if response.status_code != 200:
        return None
    user = response.context["me"]
    return str(user.email)


def test_signup_creates_member_signs_in_and_hashes_with_argon2(
    outsider_client: Client, real_hashers: None
) -> None:
    response = outsider_client.post(
        SIGNUP,
        {"email": " New.Person@Example.COM ", "name": "New Person", "password": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.MEMBER
    assert user.name == "New Person"
    assert user.password.startswith("argon2")
    assert signed_in_email(outsider_client) == "new.person@example.com"


def test_signup_duplicate_email_keeps_what_was_typed(outsider_client: Client, member: User) -> None:
    response = outsider_client.post(
        SIGNUP,
        {"email": "MEM@example.com", "name": "Someone Typed This", "password": "123"},
    )
    assert response.status_code == 200
    assert "email" not in response.context["form"].errors  # taken addresses are not told
    html = response.content.decode()
    assert 'value="MEM@example.com"' in html
    assert 'value="Someone Typed This"' in html
    assert User.objects.filter(email__iexact="mem@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("short", "too short"), ("password123", "too common"), ("12345678901", "entirely numeric")],
)
def test_signup_applies_password_validators(
    outsider_client: Client, password: str, fragment: str
) -> None:
    response = outsider_client.post(SIGNUP, {"email": "p@example.com", "password": password})
    assert response.status_code == 200
    assert fragment in " ".join(response.context["form"].errors["password"])
    assert not User.objects.filter(email="p@example.com").exists()


def test_signup_closed(outsider_client: Client, settings: object) -> None:
    settings.SIGNUP_OPEN = False  # type: ignore[attr-defined]
    response = outsider_client.post(SIGNUP, {"email": "n@example.com", "password": GOOD_PASSWORD})
    assert response.status_code == 403
    assert b"Sign-up is closed" in response.content
    assert not User.objects.filter(email="n@example.com").exists()


def test_signin_with_safe_next(outsider_client: Client, member: User) -> None:
    response = outsider_client.post(
        SIGNIN, {"email": "Mem@Example.com", "password": PASSWORD, "next": "/roadmap/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/roadmap/"
    assert signed_in_email(outsider_client) == member.email


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_signin_ignores_offsite_next(outsider_client: Client, member: User, target: str) -> None:
    response = outsider_client.post(
        SIGNIN + "?next=" + target, {"email": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:home")


def test_signin_page_carries_next(outsider_client: Client) -> None:
    response = outsider_client.get(SIGNIN + "?next=/roadmap/")
    assert b'name="next" value="/roadmap/"' in response.content


def test_bad_credentials_get_one_generic_message(outsider_client: Client, member: User) -> None:
    wrong = outsider_client.post(SIGNIN, {"email": member.email, "password": "not it at all"})
    unknown = outsider_client.post(SIGNIN, {"email": "ghost@example.com", "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            "That email and password do not match an active account."
        ]
    assert b'value="ghost@example.com"' in unknown.content
    assert signed_in_email(outsider_client) is None


def test_inactive_user_is_refused(outsider_client: Client, member: User) -> None:
    member.is_active = False
    member.save()
    response = outsider_client.post(SIGNIN, {"email": member.email, "password": PASSWORD})
    assert response.status_code == 200
    assert signed_in_email(outsider_client) is None


def test_signout_is_post_only(member_client: Client) -> None:
    assert member_client.get(SIGNOUT).status_code == 405
    assert signed_in_email(member_client) is not None
    response = member_client.post(SIGNOUT)
    assert response.status_code == 302
    assert signed_in_email(member_client) is None


def test_signin_and_signout_enforce_csrf(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    refused = client.post(SIGNIN, {"email": member.email, "password": PASSWORD})
    assert refused.status_code == 403
    page = client.get(SIGNIN)
    token = page.cookies["csrftoken"].value
    response = client.post(
        SIGNIN, {"email": member.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert client.post(SIGNOUT).status_code == 403
    assert signed_in_email(client) == member.email
    token = client.cookies["csrftoken"].value
    assert client.post(SIGNOUT, {"csrfmiddlewaretoken": token}).status_code == 302
    assert signed_in_email(client) is None


def test_signup_reports_every_problem_at_once(outsider_client: Client, member: User) -> None:
    response = outsider_client.post(
        SIGNUP, {"email": "new@example.com", "name": "new@example.com", "password": "123"}
    )
    errors = response.context["form"].errors
    assert len(errors["password"]) >= 3  # too short, too common, numeric: all at once
