"""``{% shipped_in post %}``: the published entries that delivered a post, on its page."""

from __future__ import annotations

from typing import Any

from django import template

from monoboard.boards.models import Post
from monoboard.changelog import selectors

register = template.Library()


#: Entries named on a post's page; more are summed up with a link to the changelog.
SHOWN = 2


@register.inclusion_tag("changelog/_shipped_in.html")
def shipped_in(post: Post) -> dict[str, Any]:
    entries = selectors.shipped_in(post)
    return {"entries": entries[:SHOWN], "more": max(0, len(entries) - SHOWN)}
