"""Linked accounts (unlinking, never the last way in) and the admins'
provider settings, through the pages."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.identity.models import LinkedIdentity, Provider

CONNECTIONS = reverse("identity:connections")
PROVIDERS = reverse("signin_settings:providers")
NEW = reverse("signin_settings:provider_new")
SECRET = "very-secret-value-1234"


def _link(user: User, provider: str = "gitlab", subject: str = "1") -> LinkedIdentity:
    return LinkedIdentity.objects.create(
        user=user, provider=provider, subject=subject, email=user.email
    )


def test_unlink_keeps_other_ways_in(member_client: Client, member: User) -> None:
    link = _link(member)
    page = member_client.get(CONNECTIONS)
    assert "Unlink gitlab" in page.content.decode()
    answer = member_client.post(reverse("identity:unlink", args=[link.pk]), follow=True)
    assert "is unlinked" in answer.content.decode()
    assert not LinkedIdentity.objects.filter(pk=link.pk).exists()


def _configure(settings: Any, *slugs: str) -> None:
    settings.SIGNIN_PROVIDERS = {
        slug: {"client_id": f"{slug}-id", "client_secret": "s", "issuer": "", "name": ""}
        for slug in slugs
    }


def test_last_way_in_is_never_unlinked(member_client: Client, member: User, settings: Any) -> None:
    settings.PASSWORDLESS_SIGNIN = False
    _configure(settings, "gitlab", "google")
    member.set_unusable_password()
    member.save()
    member_client.force_login(member)
    first, second = _link(member, "gitlab", "1"), _link(member, "google", "2")
    member_client.post(reverse("identity:unlink", args=[first.pk]))
    answer = member_client.post(reverse("identity:unlink", args=[second.pk]), follow=True)
    assert "This is your last way to sign in" in answer.content.decode()
    assert list(LinkedIdentity.objects.values_list("provider", flat=True)) == ["google"]


def test_someone_elses_link_is_left_alone(member_client: Client, other_member: User) -> None:
    link = _link(other_member)
    answer = member_client.post(reverse("identity:unlink", args=[link.pk]), follow=True)
    assert "That link does not exist" in answer.content.decode()
    assert LinkedIdentity.objects.filter(pk=link.pk).exists()


def _provider_form(**changes: str) -> dict[str, str]:
    form = {
        "kind": "oidc",
        "slug": "acme",
        "name": "Acme SSO",
        "client_id": "acme-board",
        "client_secret": SECRET,
        "issuer": "https://id.acme.example/",
        "enabled": "on",
    }
    form.update(changes)
    return form


def test_admin_adds_a_provider_whose_secret_is_never_shown_again(
    admin_client: Client, outsider_client: Client
) -> None:
    answer = admin_client.post(NEW, _provider_form(), follow=True)
    assert answer.status_code == 200
    row = Provider.objects.get(slug="acme")
    assert (row.client_secret, row.issuer) == (SECRET, "https://id.acme.example")
    for page in (
        admin_client.get(PROVIDERS),
        admin_client.get(reverse("signin_settings:provider_edit", args=[row.pk])),
    ):
        text = page.content.decode()
        assert SECRET not in text and "1234" in text
    signin = outsider_client.get(reverse("accounts:signin")).content.decode()
    assert "Sign in with Acme SSO" in signin
    assert reverse("identity:oidc_start", args=["acme"]) in signin
    # Saving again with the secret left empty keeps it.
    edit = reverse("signin_settings:provider_edit", args=[row.pk])
    admin_client.post(edit, _provider_form(client_secret="", name="Acme"))
    row.refresh_from_db()
    assert (row.name, row.client_secret) == ("Acme", SECRET)
    admin_client.post(reverse("signin_settings:provider_delete", args=[row.pk]))
    assert not Provider.objects.exists()


def test_bad_provider_input_is_explained_and_saves_nothing(
    admin_client: Client, settings: Any
) -> None:
    settings.SIGNIN_PROVIDERS = {
        "github": {"client_id": "x", "client_secret": "y", "issuer": "", "name": ""}
    }
    answer = admin_client.post(NEW, _provider_form(issuer="", client_secret="", slug="github"))
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "needs its issuer address" in text
    assert "Enter the client secret" in text
    assert "The environment already configures a provider with this name" in text
    answer = admin_client.post(NEW, _provider_form(issuer="http://id.acme.example"))
    assert "Enter an https:// address" in answer.content.decode()
    assert not Provider.objects.exists()


def test_only_admins_see_the_settings(member_client: Client) -> None:
    assert member_client.get(PROVIDERS).status_code == 403
    assert member_client.get(NEW).status_code == 403
    assert member_client.post(NEW, _provider_form()).status_code == 403
    assert not Provider.objects.exists()


def test_a_link_to_a_removed_provider_is_no_way_in(
    member_client: Client, member: User, settings: Any
) -> None:
    settings.PASSWORDLESS_SIGNIN = False
    _configure(settings, "google")
    member.set_unusable_password()
    member.save()
    member_client.force_login(member)
    _link(member, "gitlab", "1")  # gitlab is no longer configured
    live = _link(member, "google", "2")
    answer = member_client.post(reverse("identity:unlink", args=[live.pk]), follow=True)
    assert "This is your last way to sign in" in answer.content.decode()
    assert LinkedIdentity.objects.filter(pk=live.pk).exists()
