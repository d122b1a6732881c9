"""Every error leaves the API as RFC 9457 problem+json.

``{"type", "title", "status", "detail", "errors"}`` where ``errors`` maps a
field name to its messages (from Django's ValidationError or from request
validation), so a client can put each message beside its input.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from monoboard.boards import access
from monoboard.lib import unavailable
from monoboard.lib.cursor import BadCursor
from monoboard.lib.text import NUL_MESSAGE

#: pydantic error type of a NUL character (monoboard.api.schemas.Input).
NUL_ERROR = "nul_character"

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


class BodyNotObject(ValueError):
    """The request body is JSON but not an object (``[]``, ``"x"``, ``1``)."""

    def __str__(self) -> str:
        return "The request body must be a JSON object."


class Problem(Exception):
    """Raise from a handler to answer with a problem of the given status."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.errors = errors or {}
        self.headers = headers or {}


def problem_response(
    status: int,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"https://monoboard.dev/problems/{status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors or {},
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for m in ValidationError(msgs).messages]
            for field, msgs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def _ninja_errors(exc: NinjaValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        name = ".".join(loc[1:] if loc and loc[0] in ("payload", "filters") else loc) or "__all__"
        errors.setdefault(name, []).append(str(error.get("msg", "Invalid value.")))
    return errors


def install(api: NinjaAPI) -> None:
    """Register the problem+json handlers on ``api``."""

    def on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
        return problem_response(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = field_errors(exc)
        first = next(iter(errors.values()), ["Check the highlighted fields."])[0]
        return problem_response(422, first, errors=errors)

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        if any(error.get("type") == NUL_ERROR for error in exc.errors):
            # Text no database stores: a plain bad request on every stage.
            return problem_response(400, NUL_MESSAGE, errors=_ninja_errors(exc))
        return problem_response(
            422, "The request does not match the schema.", errors=_ninja_errors(exc)
        )

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = "The request body is too large."
        if limit:
            detail = f"The request body is larger than {limit} bytes."
        return problem_response(413, detail)

    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        if not access.is_member(getattr(request, "auth", None)):
            return _unauthenticated(str(exc) or "Sign in first.")
        return problem_response(403, str(exc) or "You may not do that.")

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _unauthenticated(str(exc) or "Send a valid API key or access token.")

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(404, str(exc) or "Not found.")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, BodyNotObject):  # ninja wraps the parser's error
            return problem_response(400, str(exc.__cause__), errors={"body": [str(exc.__cause__)]})
        return problem_response(exc.status_code, str(exc))

    def on_bad_cursor(request: HttpRequest, exc: BadCursor) -> HttpResponse:
        return problem_response(400, str(exc), errors={"cursor": [str(exc)]})

    def on_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if unavailable.database_unavailable(exc):
            logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            return unavailable.unavailable_response(request)
        logger.exception("API error on %s %s", request.method, request.path)
        return problem_response(500, "Something went wrong on our side; it has been logged.")

    handlers: list[tuple[type[Exception], Any]] = [
        (Problem, on_problem),
        (ValidationError, on_validation),
        (NinjaValidationError, on_ninja_validation),
        (RequestDataTooBig, on_too_big),
        (PermissionDenied, on_denied),
        (AuthenticationError, on_auth),
        (Http404, on_404),
        (HttpError, on_http_error),
        (BadCursor, on_bad_cursor),
        (Exception, on_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def _unauthenticated(detail: str) -> HttpResponse:
    return problem_response(401, detail, headers={"WWW-Authenticate": 'Bearer realm="monoboard"'})
