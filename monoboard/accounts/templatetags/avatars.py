"""``{% avatar user %}``: a person's initials, or their Gravatar if they chose it."""

from __future__ import annotations

import hashlib
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

GRAVATAR = "https://www.gravatar.com/avatar/{}?s={}&d=identicon"
# Backgrounds that all carry white initials at better than 4.5:1.
PALETTE = ["#4338ca", "#7e22ce", "#be123c", "#b45309", "#047857", "#0e7490", "#374151"]


def initials(name: str) -> str:
    words = [w for w in name.replace(".", " ").split() if w[:1].isalnum()]
    letters = "".join(w[0] for w in words[:2]) if words else "?"
    return letters.upper()


def gravatar_url(email: str, size: int = 64) -> str:
    """Gravatar's address for ``email``: only a SHA-256 of it leaves the site."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return GRAVATAR.format(digest, size)


@register.simple_tag
def avatar(user: Any, size: int = 32) -> SafeString:
    if user is None:
        return format_html('<span class="avatar" aria-hidden="true">?</span>')
    if getattr(user, "use_gravatar", False) and user.email:
        return format_html(
            '<img class="avatar" src="{}" width="{}" height="{}" alt="" loading="lazy">',
            gravatar_url(user.email, size * 2),
            size,
            size,
        )
    color = PALETTE[(user.pk or 0) % len(PALETTE)]
    return format_html(
        '<span class="avatar avatar-{}" aria-hidden="true">{}</span>',
        PALETTE.index(color),
        initials(user.display_name or user.email),
    )
