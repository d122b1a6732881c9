"""The event stream: an async view, served by the ASGI events process.

``GET /events/?board=<slug>`` or ``?post=<id>`` answers ``text/event-stream``.
The caller is known from the session cookie; a board or post they may not see
is a 404 before any byte is streamed, and every event is checked again when
it is sent. ``Last-Event-ID`` (sent by EventSource when it reconnects) replays
what was missed from the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from monoboard.boards import access
from monoboard.ops.metrics.instruments import SSE_CONNECTIONS
from monoboard.realtime import selectors, sse
from monoboard.realtime.bus.hub import get_hub

if TYPE_CHECKING:
    from monoboard.boards.access import Actor


def _scope(user: Actor, board: str | None, post: str | None) -> tuple[int | None, int | None]:
    """(board_id, post_id) the caller asked for, or Http404."""
    if post:
        if not post.isdigit():
            raise Http404("No such post")
        return None, access.post_or_404(user, int(post)).pk
    if board:
        return access.board_or_404(user, board).pk, None
    raise Http404("Ask for ?board=<slug> or ?post=<id>")


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    return int(raw) if raw.strip().isdigit() else None


def allowed_origin(request: HttpRequest) -> str | None:
    """The Origin to echo in CORS headers, if pages there may read the stream.

    Allowed: the site's own origin, CSRF_TRUSTED_ORIGINS, REALTIME_CORS_ORIGINS,
    and any origin on this host (the stage-1 pages, one port below).
    """
    origin = request.headers.get("Origin")
    if not origin:
        return None
    configured = {settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS}
    configured.update(settings.REALTIME_CORS_ORIGINS)
    if origin.rstrip("/") in {o.rstrip("/") for o in configured}:
        return origin
    try:
        origin_host = urlsplit(origin).hostname
        own_host = urlsplit(f"//{request.get_host()}").hostname
    except ValueError:
        return None
    return origin if origin_host and origin_host == own_host else None


async def _stream(
    user: Actor, board_id: int | None, post_id: int | None, last_event_id: int | None
) -> AsyncIterator[str]:
    hub = get_hub()
    sub = hub.subscribe(board_id=board_id, post_id=post_id)
    SSE_CONNECTIONS.inc()
    try:
        await hub.ensure_started()
        yield sse.retry(settings.REALTIME_RETRY_MS)
        sent = 0
        if last_event_id is not None:
            missed = await sync_to_async(selectors.replay_events)(
                last_event_id,
                board_id=board_id,
                post_id=post_id,
                limit=settings.REALTIME_REPLAY_LIMIT,
            )
            for row, post in missed:
                sent = row.id
                text = sse.for_viewer(row, post, user)
                if text:
                    yield text
            if len(missed) >= settings.REALTIME_REPLAY_LIMIT:
                # Too much was missed to replay: the page should reload.
                yield sse.message(event_id=sent, kind="stale", data={})
                return
        # From here on every event reaches this stream: pages (and tests) may
        # rely on "ready" meaning that nothing in between can be lost.
        yield sse.ready()
        while not sub.overflowed:
            try:
                event = await asyncio.wait_for(sub.queue.get(), settings.REALTIME_HEARTBEAT)
            except TimeoutError:
                yield sse.comment("keep-alive")
                continue
            if event.row.id <= sent:
                continue  # already sent during replay
            text = sse.for_viewer(event.row, event.post, user)
            if text:
                yield text
    finally:
        SSE_CONNECTIONS.dec()
        hub.unsubscribe(sub)


@require_GET
async def events(request: HttpRequest) -> HttpResponseBase:
    user = await request.auser()
    last_event_id = _last_event_id(request)
    if request.headers.get("Last-Event-ID") and last_event_id is None:
        return HttpResponseBadRequest("Last-Event-ID must be a number.")
    cors = allowed_origin(request)
    try:
        board_id, post_id = await sync_to_async(_scope)(
            user, request.GET.get("board"), request.GET.get("post")
        )
    except Http404:
        response: HttpResponseBase = HttpResponse(
            "Not found", status=404, content_type="text/plain"
        )
    else:
        response = StreamingHttpResponse(
            _stream(user, board_id, post_id, last_event_id), content_type="text/event-stream"
        )
        response["Cache-Control"] = "no-cache, no-transform"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    if cors:
        response["Access-Control-Allow-Origin"] = cors
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin, Cookie"
    return response
