"""Pages for signed-in people, rendered once and shared, with each viewer's parts filled in.

A signed-in board or post page differs from one member to the next only in a
few places: the CSRF token, the name and notification count in the top bar,
whether each vote button is pressed, whether the post is followed, and the
edit controls on the viewer's own comments. Everything else (twenty rows,
status pills, tags, filters, comments) is the same for every member with the
same role, and rendering it was about 95 % of the page's time.

So the page is rendered once as a *shell*: the template runs with a stand-in
viewer (``ShellViewer``: signed in, the audience's role, no id) and each
personal part is written as a marker. Parts with a few known forms (a vote
button pressed or not) are rendered in each form once, beside the shell.
Per request the view fills the shell in one pass: plain values (token, name,
bell) and, for each variant slot, the form that fits this viewer (their
votes on the page's posts: one query).

The shell is kept in ``CACHES["default"]`` for ``PAGE_CACHE_SECONDS`` under
the same version as the anonymous page cache (the newest event id: any
committed change makes it stale) plus the audience (member, moderator,
admin) and the URL. It is only
stored when nothing personal reached it: a 200 answer, no flash message shown
or added while it was built. A page whose content depends on more than the
role (a post's author, a moderator's tools, "My votes") is never shared: the
view renders it as before.

Markers carry a random nonce per shell, so text a member wrote can never
pose as one.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString, mark_safe

from monoboard.core.roles import is_admin, is_member, is_moderator
from monoboard.lib import cacheaside
from monoboard.pagecache.cache import content_version

HEADER = "X-Shared-Page"
CACHE_NAME = "shared_pages"


class ShellViewer:
    """Who a shell is rendered for: a signed-in member of one role, nobody in particular.

    It has no id and no name of its own (``display_name`` is the name's
    marker), so a template or tag that reads the viewer while a shell is
    built can show nothing personal.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None
    id = None

    def __init__(self, audience: str, name_marker: str) -> None:
        self.is_admin = audience == "admin"
        self.is_moderator = audience in ("admin", "moderator")
        self.display_name = name_marker

    def __str__(self) -> str:
        return self.display_name


@dataclass
class ShellBuilder:
    """Collects a shell's markers and variant forms while its page renders."""

    nonce: str = field(default_factory=lambda: secrets.token_hex(8))
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def marker(self, name: str) -> SafeString:
        return mark_safe(f"\x00{self.nonce}:{name}\x00")  # noqa: S308  (no markup)

    def add_variants(self, name: str, *forms: str) -> None:
        """Rendered forms of the slot ``name``; the view's chooser picks one by index."""
        self.variants[name] = forms


@dataclass(frozen=True)
class Shell:
    nonce: str
    html: str
    content_type: str
    variants: dict[str, tuple[str, ...]]
    #: Whatever the view needs to fill it in (the post ids on the page, ...).
    facts: dict[str, Any]


@dataclass(frozen=True)
class Fill:
    """One viewer's parts: plain values by slot, and the chosen form of each variant slot."""

    values: Mapping[str, str]
    choose: Callable[[str], int]


@functools.lru_cache(maxsize=64)
def _pattern(nonce: str) -> re.Pattern[str]:
    return re.compile(f"\x00{nonce}:([^\x00]+)\x00")


def fill(shell: Shell, parts: Fill) -> str:
    """The shell with every marker replaced by this viewer's part (one pass)."""
    pattern = _pattern(shell.nonce)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = parts.values.get(name)
        if value is not None:
            return value
        forms = shell.variants[name]
        return pattern.sub(replace, forms[parts.choose(name)])

    return pattern.sub(replace, shell.html)


def audience(user: Any) -> str:
    if is_admin(user):
        return "admin"
    if is_moderator(user):
        return "moderator"
    return "member"


def shareable(request: HttpRequest) -> bool:
    """A signed-in GET with no flash message waiting (that belongs to this person alone)."""
    return (
        request.method in ("GET", "HEAD")
        and is_member(request.user)
        and len(get_messages(request)) == 0
    )


def _key(request: HttpRequest, page: str) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:32]
    return f"shell:{content_version()}:{audience(request.user)}:{page}:{digest}"


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    storage = get_messages(request)
    return (
        response.status_code == 200
        and not response.streaming
        and not getattr(storage, "added_new", False)
        and not getattr(storage, "used", False)
    )


def serve(
    request: HttpRequest,
    page: str,
    build: Callable[[ShellBuilder, ShellViewer], tuple[HttpResponse, dict[str, Any]]],
    viewer_parts: Callable[[Shell], Fill],
) -> HttpResponse:
    """The page for ``request``'s viewer: a stored shell filled in, or a new one.

    ``build`` renders the page as a shell (with the builder's markers, for the
    stand-in viewer) and returns the response and the shell's facts;
    ``viewer_parts`` computes this viewer's parts for a shell.
    """
    key = _key(request, page)
    shell: Shell | None = cache.get(key)
    outcome = "hit"
    if shell is None:
        outcome = "miss"
        builder = ShellBuilder()
        stand_in = ShellViewer(audience(request.user), builder.marker("name"))
        real_user = request.user
        request.user = stand_in  # type: ignore[assignment]  # only while the shell renders
        try:
            response, facts = build(builder, stand_in)
        finally:
            request.user = real_user
        if response.status_code != 200 or response.streaming:
            return response  # an error page is not a shell; nothing to fill
        shell = Shell(
            nonce=builder.nonce,
            html=response.content.decode(response.charset),
            content_type=response["Content-Type"],
            variants=builder.variants,
            facts=facts,
        )
        seconds = int(settings.PAGE_CACHE_SECONDS)
        if seconds > 0 and _storable(request, response):
            cache.set(key, shell, seconds)
    cacheaside.count(CACHE_NAME, hits=int(outcome == "hit"), misses=int(outcome == "miss"))
    answer = HttpResponse(fill(shell, viewer_parts(shell)), content_type=shell.content_type)
    answer[HEADER] = outcome
    return answer
