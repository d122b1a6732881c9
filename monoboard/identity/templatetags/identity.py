"""``{% signin_methods next %}``: the other ways to sign in, for the sign-in page."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from monoboard.identity import providers

register = template.Library()


@register.inclusion_tag("identity/_methods.html")
def signin_methods(next_url: str = "") -> dict[str, Any]:
    return {
        "providers": providers.configured(),
        "passwordless": settings.PASSWORDLESS_SIGNIN,
        "next": next_url,
    }
