"""``{% live_attrs %}``: tell live.js where the stream is and what to follow.

Rendered on ``<body>``. The stream to follow comes from the page's route
(a board page follows its board, a post page its post), so page templates
need no changes. No attributes at all on pages that show nothing live.
"""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.utils.html import format_html

from monoboard.lib.events_url import events_url

register = template.Library()

#: Route name -> (URL kwarg, stream parameter).
LIVE_ROUTES = {
    "boards:board": ("board_slug", "board"),
    "boards:post": ("post_id", "post"),
    "boards:post_short": ("post_id", "post"),
}


@register.simple_tag(takes_context=True)
def live_attrs(context: template.Context) -> str:
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if request is None or match is None or match.view_name not in LIVE_ROUTES:
        return ""
    kwarg, param = LIVE_ROUTES[match.view_name]
    value = match.kwargs.get(kwarg)
    if value is None:
        return ""
    return format_html(' data-events-url="{}" data-live-{}="{}"', events_url(request), param, value)
