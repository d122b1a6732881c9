"""Who someone is: visitor, member, moderator or admin.

These predicates need no model of any app, so every app can ask them
(``boards.access`` builds the board and post rules on top of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from monoboard.accounts.models import User

    Actor = User | AnonymousUser


def is_member(user: Actor | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def member_id(user: Actor | None) -> int | None:
    """The signed-in user's id, or None for visitors."""
    if user is None or not is_member(user):
        return None
    return int(user.pk or 0)


def is_moderator(user: Actor | None) -> bool:
    return is_member(user) and bool(getattr(user, "is_moderator", False))


def is_admin(user: Actor | None) -> bool:
    return is_member(user) and bool(getattr(user, "is_admin", False))


def require_member(user: Actor | None) -> None:
    if not is_member(user):
        raise PermissionDenied("Sign in first.")


def require_moderator(user: Actor | None) -> None:
    if not is_moderator(user):
        raise PermissionDenied("Only moderators may do that.")


def require_admin(user: Actor | None) -> None:
    if not is_admin(user):
        raise PermissionDenied("Only admins may do that.")
