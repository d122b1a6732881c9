"""``{% api_keys_section %}``: the profile page's "API keys" card."""

from __future__ import annotations

from typing import Any

from django import template

from monoboard.accounts import credentials
from monoboard.api.views import NEW_SECRET_SESSION_KEY
from monoboard.boards import access

register = template.Library()


@register.inclusion_tag("api/_keys_section.html", takes_context=True)
def api_keys_section(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    # Popped: the secret is shown on this one page view and never again.
    new_key = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    return {
        "keys": credentials.api_keys_of(request.user),
        "new_key": new_key,
        "is_admin": access.is_admin(request.user),
        "csrf_token": context.get("csrf_token"),
    }
