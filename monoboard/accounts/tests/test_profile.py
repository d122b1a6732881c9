from __future__ import annotations

from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from monoboard.accounts.models import User

PROFILE = reverse("accounts:profile")
NEW_PASSWORD = "another fine lantern"


def test_profile_needs_sign_in(outsider_client: Client) -> None:
    response = outsider_client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin") + "?next=")


def test_profile_shows_and_saves_name_and_email(member_client: Client, member: User) -> None:
    page = member_client.get(PROFILE)
    assert page.status_code == 200
    assert b'value="Mel Member"' in page.content
    response = member_client.post(
        PROFILE,
        {
            "action": "profile",
            "name": "  Mel   Renamed ",
            "email": "Mel@New.example",
            "current_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.email) == ("Mel Renamed", "mel@new.example")


def test_name_alone_changes_without_password(member_client: Client, member: User) -> None:
    response = member_client.post(
        PROFILE, {"action": "profile", "name": "Just Mel", "email": member.email}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Just Mel"


def test_email_change_needs_current_password(member_client: Client, member: User) -> None:
    response = member_client.post(
        PROFILE,
        {
            "action": "profile",
            "name": "Mel",
            "email": "taken.over@example.com",
            "current_password": "a guess",
        },
    )
    assert response.status_code == 400
    assert response.context["profile_form"].errors["current_password"]
    assert b'value="taken.over@example.com"' in response.content
    member.refresh_from_db()
    assert (member.name, member.email) == ("Mel Member", "mem@example.com")


def test_profile_email_taken_keeps_input(
    member_client: Client, member: User, other_member: User
) -> None:
    response = member_client.post(
        PROFILE,
        {
            "action": "profile",
            "name": "Typed Name",
            "email": other_member.email,
            "current_password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert response.context["profile_form"].errors["email"]
    assert b'value="Typed Name"' in response.content
    member.refresh_from_db()
    assert member.email == "mem@example.com"


def test_change_password_keeps_session(member_client: Client, member: User) -> None:
    wrong = member_client.post(
        PROFILE,
        {
            "action": "password",
            "current_password": "not my password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400
    assert wrong.context["password_form"].errors["current_password"]
    weak = member_client.post(
        PROFILE,
        {
            "action": "password",
            "current_password": PASSWORD,
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )
    assert weak.context["password_form"].errors["new_password1"]
    ok = member_client.post(
        PROFILE,
        {
            "action": "password",
            "current_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert ok.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert member.password.startswith("argon2")
    assert member_client.get(PROFILE).status_code == 200  # still signed in
