"""The anonymous page cache: visitors who are not signed in share rendered pages.

Most traffic to a public board is people reading it without signing in, and
for them a board, post, roadmap or home page is the same HTML for everyone.
Rendering it costs a few milliseconds of template work; serving it from the
cache costs one small query. The key carries two versions read in that
query: the id of the newest entry in the real-time event log, which every
vote moves, and ``SiteSettings.pages_version``, which this module bumps after
every other domain event (posts, comments, statuses, boards, tags, the
site's name). So any change makes every cached page stale at once, across
all processes, without a write per vote; ``PAGE_CACHE_SECONDS`` only bounds
how long an unchanged page is kept.

A page is stored only when it is safe to share: a 200 answer to an anonymous
GET that set no cookie, used no CSRF token and showed no flash message.
Signed-in members never read from or write to it (read-your-writes holds).
The cache is ``CACHES["default"]``: per process at stage 1 (locmem), shared
once a Redis cache is configured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Literal

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from monoboard.boards.effects import DomainEvent
from monoboard.boards.models import SiteSettings
from monoboard.ops.metrics import instruments
from monoboard.realtime.models import Event

type View[**P] = Callable[P, HttpResponse]
type Outcome = Literal["hit", "miss"]
HEADER = "X-Page-Cache"


def _enabled() -> bool:
    return int(settings.PAGE_CACHE_SECONDS) > 0


def _shareable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    # A pending flash message belongs to this visitor alone.
    return len(get_messages(request)) == 0


def _shareable_response(request: HttpRequest, response: HttpResponse) -> bool:
    storage = get_messages(request)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not getattr(storage, "added_new", False)
        and not getattr(storage, "used", False)
    )


def content_version() -> str:
    """'<newest event id>.<pages_version>': changes whenever a visitor's page would."""
    events, site = Event._meta.db_table, SiteSettings._meta.db_table
    with connection.cursor() as cursor:
        # Table names come from the models; nothing here is user input.
        cursor.execute(
            f"SELECT (SELECT max(id) FROM {events}),"  # noqa: S608
            f" (SELECT pages_version FROM {site} WHERE id = 1)"
        )
        row = cursor.fetchone()
    return f"{row[0] or 0}.{row[1] or 0}" if row else "0.0"


def cache_key(request: HttpRequest) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:32]
    return f"page:{content_version()}:{digest}"


def on_domain_event(event: DomainEvent) -> None:
    """Make every cached page stale after a change (votes move the event log instead)."""
    if event.kind != "vote.toggled":
        SiteSettings.objects.filter(pk=1).update(pages_version=F("pages_version") + 1)


def _record(request: HttpRequest, outcome: Outcome) -> None:
    request.page_cache = outcome  # type: ignore[attr-defined]  # read by MetricsMiddleware
    instruments.PAGE_CACHE.labels(outcome).inc()


def anonymous_page_cache[**P](view: View[P]) -> View[P]:
    """Serve ``view``'s page to anonymous visitors from the shared cache."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if not _enabled() or not _shareable_request(request):
            return view(*args, **kwargs)
        key = cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            _record(request, "hit")
            content_type, content = stored
            response = HttpResponse(content, content_type=content_type)
            response[HEADER] = "hit"
            patch_vary_headers(response, ("Cookie",))  # signed-in visitors get their own page
            return response
        response = view(*args, **kwargs)
        if _shareable_response(request, response):
            cache.set(
                key, (response["Content-Type"], response.content), settings.PAGE_CACHE_SECONDS
            )
            _record(request, "miss")
            response[HEADER] = "miss"
            patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper
