"""When the database cannot be reached or written: 503 with Retry-After.

One rule for every page and API call: an error that says the database is
down, restarting, unreachable or locked by another writer
(:func:`database_unavailable`) answers 503 Service Unavailable with
``Retry-After``, as problem+json under ``/api/`` and as a friendly page
elsewhere (``templates/503.html``). Any other unexpected error stays a 500. Django calls
:func:`server_error` (``handler500`` in ``monoboard/urls.py``) for an error
raised anywhere in a view or middleware; the API's own exception handler
(``api/errors.py``) asks the same question.
"""

from __future__ import annotations

import json
import logging
import sys

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

logger = logging.getLogger(__name__)

#: Seconds a client is told to wait before trying again.
RETRY_AFTER_S = 5
_UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the database is out of reach."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _UNAVAILABLE) or _protocol_broken(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _protocol_broken(exc: BaseException) -> bool:
    """psycopg's own InternalError (no SQLSTATE): the server or the pooler
    answered out of protocol, as PgBouncer does to a COMMIT while PostgreSQL
    restarts ("received 2 results"). The connection is spent and the outcome
    unknown, so the client is told to retry; an InternalError the server
    reports (SQLSTATE XX000) stays a 500."""
    return isinstance(exc, psycopg.InternalError) and exc.sqlstate is None


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 for ``request``: problem+json for the API, the 503 page otherwise."""
    if request.path.startswith("/api/"):
        # The API's problem+json shape (monoboard/api/errors.py).
        body = {
            "type": "https://monoboard.dev/problems/503",
            "title": "Service unavailable",
            "status": 503,
            "detail": "The database is unavailable for a moment; try again shortly.",
            "errors": {},
        }
        response = HttpResponse(
            json.dumps(body), status=503, content_type="application/problem+json"
        )
    else:
        # Rendered without the request: context processors would query the database.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 for a database outage, Django's plain 500 otherwise."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        return unavailable_response(request)
    return HttpResponseServerError(loader.get_template("500.html").render())
