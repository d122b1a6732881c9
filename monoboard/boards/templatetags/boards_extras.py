"""Template filters for the board pages."""

from __future__ import annotations

from html import unescape

from django import template
from django.utils.html import strip_tags
from django.utils.text import Truncator

from monoboard.lib.colors import readable_ink

register = template.Library()


@register.filter
def excerpt(body_html: str, length: int = 180) -> str:
    """Plain text of rendered Markdown, cut at ``length`` characters.

    The result is ordinary text, so the template escapes it again.
    """
    text = " ".join(unescape(strip_tags(body_html or "")).split())
    return Truncator(text).chars(length)


@register.filter
def pill_ink(color: str, surface: str = "#ffffff") -> str:
    """Text colour for a status pill tinted with ``color``, at least 4.5:1."""
    try:
        return readable_ink(color, surface)
    except ValueError:
        return ""
