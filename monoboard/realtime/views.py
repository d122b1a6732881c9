"""The event stream: an async view, served by the ASGI events process.

``GET /events/?board=<slug>`` or ``?post=<id>`` answers ``text/event-stream``.
The caller is known from the session cookie; a board or post they may not see
is a 404 before any byte is streamed, and every event is checked again when
it is sent. ``Last-Event-ID`` (sent by EventSource when it reconnects) replays
what was missed from the log.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from importlib import import_module
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from monoboard.boards import access
from monoboard.ops.metrics.instruments import SSE_CONNECTIONS
from monoboard.realtime import selectors, sse
from monoboard.realtime.bus.hub import get_hub

if TYPE_CHECKING:
    from monoboard.boards.access import Actor


#: Database ids are signed 64-bit integers.
ID_MAX = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class BadNumber(ValueError):
    """A parameter that must be a database id is not one."""


def _ascii_id(raw: str, name: str) -> int:
    """``raw`` as an id: ASCII digits only (``str.isdigit`` accepts "²")."""
    raw = raw.strip()
    if not _ASCII_DIGITS.fullmatch(raw) or int(raw) > ID_MAX:
        raise BadNumber(f"{name} must be a whole number from 0 to {ID_MAX}.")
    return int(raw)


def _scope(user: Actor, board: str | None, post_id: int | None) -> tuple[int | None, int | None]:
    """(board_id, post_id) the caller asked for, or Http404."""
    if post_id is not None:
        return None, access.post_or_404(user, post_id).pk
    if board:
        return access.board_or_404(user, board).pk, None
    raise Http404("Ask for ?board=<slug> or ?post=<id>")


def _last_event_id(request: HttpRequest) -> int | None:
    if raw := request.headers.get("Last-Event-ID"):
        return _ascii_id(raw, "Last-Event-ID")
    if raw := request.GET.get("last_event_id"):
        return _ascii_id(raw, "last_event_id")
    return None


def _still_signed_in(session_key: str | None, user_id: int) -> bool:
    """Whether the stream's session still belongs to ``user_id``, active, with
    the same password (a sign-out, deactivation or password change ends it)."""
    if not session_key:
        return False
    probe = HttpRequest()
    probe.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user(probe).pk == user_id


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
    user: Actor,
    board_id: int | None,
    post_id: int | None,
    last_event_id: int | None,
    session_key: str | None = None,
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
        # A member's stream re-checks its session every REALTIME_SESSION_CHECK
        # seconds and ends once they signed out or were deactivated, so it
        # stops carrying members-only events. Visitors have nothing to lose.
        member_id = access.member_id(user)
        check_every = float(settings.REALTIME_SESSION_CHECK)
        wait = min(float(settings.REALTIME_HEARTBEAT), check_every) if member_id else None
        next_check = time.monotonic() + check_every
        idle_since = time.monotonic()
        while not sub.overflowed:
            if member_id is not None and time.monotonic() >= next_check:
                if not await sync_to_async(_still_signed_in)(session_key, member_id):
                    return
                next_check = time.monotonic() + check_every
            try:
                event = await asyncio.wait_for(sub.queue.get(), wait or settings.REALTIME_HEARTBEAT)
            except TimeoutError:
                if time.monotonic() - idle_since >= settings.REALTIME_HEARTBEAT or not wait:
                    yield sse.comment("keep-alive")
                    idle_since = time.monotonic()
                continue
            idle_since = time.monotonic()
            if event.row.id <= sent:
                continue  # already sent during replay
            text = sse.for_viewer(event.row, event.post, user)
            if text:
                yield text
    finally:
        SSE_CONNECTIONS.dec()
        hub.unsubscribe(sub)


@require_safe
async def events(request: HttpRequest) -> HttpResponseBase:
    try:
        last_event_id = _last_event_id(request)
        post = request.GET.get("post")
        wanted_post = _ascii_id(post, "post") if post is not None else None
    except BadNumber as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    user = await request.auser()
    cors = allowed_origin(request)
    try:
        board_id, post_id = await sync_to_async(_scope)(user, request.GET.get("board"), wanted_post)
    except Http404:
        response: HttpResponseBase = HttpResponse(
            "Not found", status=404, content_type="text/plain"
        )
    else:
        response = StreamingHttpResponse(
            _stream(user, board_id, post_id, last_event_id, request.session.session_key),
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache, no-transform"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    if cors:
        response["Access-Control-Allow-Origin"] = cors
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin, Cookie"
    return response
