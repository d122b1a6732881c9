"""Reads about user accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from monoboard.accounts.models import Role, User
from monoboard.lib.cursor import BadCursor, decode_cursor, encode_cursor

PEOPLE_PER_PAGE = 50


def active_admin_exists() -> bool:
    return User.objects.filter(role=Role.ADMIN, is_active=True).exists()


def password_reset_link(user: User) -> str:
    """An absolute, signed link that lets ``user`` choose a new password once."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    return f"{settings.SITE_URL}{path}"


def user_from_reset_link(uidb64: str, token: str) -> User | None:
    """The active user a reset link names, if its token is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@dataclass(frozen=True)
class PeoplePage:
    people: list[User]
    next_cursor: str | None


def people_page(*, query: str = "", cursor: str = "", limit: int = PEOPLE_PER_PAGE) -> PeoplePage:
    """People by id (oldest first), filtered by email or name, keyset-paged.

    Raises :class:`~monoboard.lib.cursor.BadCursor` for a damaged cursor.
    """
    people = User.objects.order_by("pk")
    query = " ".join((query or "").split())
    if query:
        people = people.filter(Q(email__icontains=query) | Q(name__icontains=query))
    if cursor:
        (after,) = decode_cursor(cursor, length=1)
        if not isinstance(after, int):
            raise BadCursor("This page link is damaged; start again from the first page.")
        people = people.filter(pk__gt=after)
    rows = list(people[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None
    return PeoplePage(people=rows[:limit], next_cursor=next_cursor)
