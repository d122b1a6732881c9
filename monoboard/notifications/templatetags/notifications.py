"""Template helpers: the bell's unread count and a post's follow state."""

from __future__ import annotations

from typing import Any

from django import template

from monoboard.boards import access
from monoboard.boards.models import Post
from monoboard.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    """One indexed COUNT per request, and only for signed-in people."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not access.is_member(user):
        return 0
    cached: int | None = getattr(request, "_notifications_unread", None)
    if cached is None:
        cached = selectors.unread_count(int(user.pk or 0))  # type: ignore[union-attr]
        request._notifications_unread = cached
    return cached


@register.simple_tag(takes_context=True)
def is_following(context: dict[str, Any], post: Post) -> bool:
    request = context.get("request")
    return selectors.is_following(getattr(request, "user", None), post)
