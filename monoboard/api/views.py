"""The "API keys" section of the profile page: create (secret shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from monoboard.accounts import credentials
from monoboard.api.errors import problem_response

#: Session key holding a new key's secret until the profile page shows it once.
NEW_SECRET_SESSION_KEY = "api_new_key_secret"  # noqa: S105 - a session key name


def not_found(request: HttpRequest) -> HttpResponse:
    return problem_response(404, f"There is no API endpoint at {request.path}.")


def _back() -> HttpResponse:
    response = redirect("accounts:profile")
    response["Location"] += "#api-keys"
    return response


@login_required
@require_POST
def key_create(request: HttpRequest) -> HttpResponse:
    try:
        new = credentials.api_key_create(actor=request.user, name=request.POST.get("name", ""))  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back()
    request.session[NEW_SECRET_SESSION_KEY] = {"name": new.key.name, "secret": new.secret}
    return _back()


@login_required
@require_POST
def key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        credentials.api_key_revoke(actor=request.user, key_id=key_id)  # type: ignore[arg-type]
    except PermissionDenied:
        messages.error(request, "That key does not exist.")
    else:
        messages.success(request, "The key is revoked; programs using it are refused from now on.")
    return _back()
