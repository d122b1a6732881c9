from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for, make_user
from monoboard.accounts.models import Role, User

PEOPLE = reverse("accounts:people")


def role_url(user: User) -> str:
    return reverse("accounts:person_role", args=[user.pk])


def test_people_page_is_hidden_from_non_admins(
    outsider_client: Client, member_client: Client, moderator_client: Client
) -> None:
    assert outsider_client.get(PEOPLE).status_code == 302
    assert member_client.get(PEOPLE).status_code == 404
    assert moderator_client.get(PEOPLE).status_code == 404


def test_people_page_lists_and_searches(
    admin_client: Client, member: User, moderator: User
) -> None:
    listing = admin_client.get(PEOPLE)
    assert listing.status_code == 200
    emails = [p.email for p in listing.context["page"].people]
    assert emails == ["ada@example.com", "mem@example.com", "mo@example.com"]
    by_name = admin_client.get(PEOPLE, {"q": "moderator"})
    assert [p.email for p in by_name.context["page"].people] == ["mo@example.com"]
    by_email = admin_client.get(PEOPLE, {"q": "MEM@"})
    assert [p.email for p in by_email.context["page"].people] == ["mem@example.com"]
    assert b"Nobody matches" in admin_client.get(PEOPLE, {"q": "zzz"}).content


def test_people_page_pages_by_id(admin_client: Client, admin: User) -> None:
    for n in range(55):
        make_user(f"person{n:02d}@example.com")
    first = admin_client.get(PEOPLE)
    people = first.context["page"].people
    assert len(people) == 50
    next_link = first.context["next_link"]
    assert next_link
    second = admin_client.get(PEOPLE + next_link)
    rest = second.context["page"].people
    assert len(rest) == 6
    assert second.context["next_link"] is None
    seen = [p.pk for p in people + rest]
    assert seen == sorted(seen) and len(set(seen)) == 56
    damaged = admin_client.get(PEOPLE, {"cursor": "!!"})
    assert damaged.status_code == 200
    assert b"damaged" in damaged.content


def test_admin_changes_role(admin_client: Client, member: User) -> None:
    response = admin_client.post(
        role_url(member), {"role": Role.MODERATOR, "back": "/accounts/people/?q=m"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/people/?q=m"
    member.refresh_from_db()
    assert member.role == Role.MODERATOR
    admin_client.post(role_url(member), {"role": Role.ADMIN})
    member.refresh_from_db()
    assert member.is_admin and member.is_superuser


def test_role_change_refused_for_moderator_and_member(
    moderator_client: Client, member_client: Client, member: User, moderator: User
) -> None:
    assert moderator_client.post(role_url(member), {"role": Role.ADMIN}).status_code == 403
    assert member_client.post(role_url(member), {"role": Role.ADMIN}).status_code == 403
    assert member_client.post(role_url(moderator), {"role": Role.MEMBER}).status_code == 403
    member.refresh_from_db()
    moderator.refresh_from_db()
    assert (member.role, moderator.role) == (Role.MEMBER, Role.MODERATOR)


def test_last_admin_cannot_be_demoted_or_deactivated(admin_client: Client, admin: User) -> None:
    response = admin_client.post(role_url(admin), {"role": Role.MEMBER}, follow=True)
    assert b"last active admin" in response.content
    admin_client.post(reverse("accounts:person_deactivate", args=[admin.pk]))
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN and admin.is_active


def test_admin_can_step_down_once_another_admin_exists(admin_client: Client, admin: User) -> None:
    make_user("second@example.com", Role.ADMIN)
    admin_client.post(role_url(admin), {"role": Role.MEMBER})
    admin.refresh_from_db()
    assert admin.role == Role.MEMBER


def test_deactivate_ends_sessions_and_reactivate(admin_client: Client, member: User) -> None:
    member_session = client_for(member)
    assert member_session.get(reverse("accounts:profile")).status_code == 200
    admin_client.post(reverse("accounts:person_deactivate", args=[member.pk]))
    member.refresh_from_db()
    assert not member.is_active
    assert member_session.get(reverse("accounts:profile")).status_code == 302
    admin_client.post(reverse("accounts:person_reactivate", args=[member.pk]))
    member.refresh_from_db()
    assert member.is_active


def test_role_change_rejects_unknown_role(admin_client: Client, member: User) -> None:
    response = admin_client.post(role_url(member), {"role": "owner"}, follow=True)
    assert b"Choose admin, moderator or member." in response.content
    member.refresh_from_db()
    assert member.role == Role.MEMBER


def test_people_page_queries_do_not_grow_with_rows(admin_client: Client, admin: User) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(PEOPLE).status_code == 200
        return len(queries)

    make_user("one@example.com")
    count()  # the first request also fills per-process caches
    few = count()
    for n in range(20):
        make_user(f"many{n}@example.com")
    assert count() == few
