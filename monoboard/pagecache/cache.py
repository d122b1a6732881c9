"""The anonymous page cache: visitors who are not signed in share rendered pages.

Most traffic to a public board is people reading it without signing in, and
for them a board, post, roadmap or home page is the same HTML for everyone.
Rendering it costs a few milliseconds of template work; serving it from the
cache costs one small query. The key carries the id of the newest event in
the durable event log (``monoboard.core``): every write a visitor could see
(votes, posts, comments, statuses, boards, tags, the site's name) appends
one in its own transaction, so any committed change makes every cached page
stale at once, across all processes, and no change is announced before it
is written. ``PAGE_CACHE_SECONDS`` only bounds how long an unchanged page is
kept.

A page is stored only when it is safe to share: a 200 answer to an anonymous
GET that set no cookie, used no CSRF token and showed no flash message.
Signed-in members never read from or write to it (read-your-writes holds).
The cache is ``CACHES["default"]``: per process at stage 1 (locmem), shared
once a Redis cache is configured.

The same pages are marked ``Cache-Control: public, s-maxage=EDGE_CACHE_SECONDS,
max-age=0`` for a shared cache in front (nginx's edge cache at stage 4): it
may keep them that long, a browser must ask again. Nothing else is marked
public, so an edge that caches only what the app marks public never keeps a
personal page (see ``edge.py`` for the rest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Literal

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from monoboard.core.events import log_alias
from monoboard.core.models import Event
from monoboard.ops.metrics import instruments

type View[**P] = Callable[P, HttpResponse]
type Outcome = Literal["hit", "miss"]
HEADER = "X-Page-Cache"


def _enabled() -> bool:
    return int(settings.PAGE_CACHE_SECONDS) > 0


def _mark_shared(response: HttpResponse) -> None:
    """Vary on Cookie (a signed-in visitor gets their own page); let an edge keep it."""
    patch_vary_headers(response, ("Cookie",))
    seconds = int(settings.EDGE_CACHE_SECONDS)
    if seconds > 0:
        response["Cache-Control"] = f"public, s-maxage={seconds}, max-age=0"


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
    """The newest event id: it changes whenever a visitor's page could."""
    # The table name comes from the model; nothing here is user input.
    sql = f"SELECT max(id) FROM {Event._meta.db_table}"  # noqa: S608
    with connections[log_alias(write=False)].cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return str(row[0] or 0) if row else "0"


def cache_key(request: HttpRequest) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:32]
    return f"page:{content_version()}:{digest}"


def _record(request: HttpRequest, outcome: Outcome) -> None:
    request.page_cache = outcome  # type: ignore[attr-defined]  # read by MetricsMiddleware
    instruments.PAGE_CACHE.labels(outcome).inc()


def anonymous_page_cache[**P](view: View[P]) -> View[P]:
    """Serve ``view``'s page to anonymous visitors from the shared cache."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if not _shareable_request(request):
            return view(*args, **kwargs)
        if not _enabled():
            response = view(*args, **kwargs)
            if _shareable_response(request, response):
                _mark_shared(response)
            return response
        key = cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            _record(request, "hit")
            content_type, content = stored
            response = HttpResponse(content, content_type=content_type)
            response[HEADER] = "hit"
            _mark_shared(response)
            return response
        response = view(*args, **kwargs)
        if _shareable_response(request, response):
            cache.set(
                key, (response["Content-Type"], response.content), settings.PAGE_CACHE_SECONDS
            )
            _record(request, "miss")
            response[HEADER] = "miss"
            _mark_shared(response)
        return response

    return wrapper
