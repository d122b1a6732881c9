"""The admins' list of likely duplicate pairs: dismiss a pair, or merge it in one click."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards import services as board_services
from monoboard.core.decorators import admin_required
from monoboard.similar import selectors, services


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # admin_required has checked
    return user


def _post_id(request: HttpRequest, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return 0


@require_safe
@admin_required
def triage(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    pairs = selectors.duplicate_pairs(request.user)
    context = {
        "pairs": pairs,
        "threshold_percent": round(settings.SIMILAR_TRIAGE_THRESHOLD * 100),
        "window": settings.SIMILAR_TRIAGE_WINDOW,
        "semantic": selectors.enabled(),
    }
    return render(request, "similar/triage.html", context)


@require_POST
@admin_required
def dismiss(request: HttpRequest) -> HttpResponse:
    first = access.post_or_404(request.user, _post_id(request, "first"))
    second = access.post_or_404(request.user, _post_id(request, "second"))
    try:
        services.pair_dismiss(actor=_actor(request), first=first, second=second)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{first.title}” and “{second.title}” are kept apart.")
    return redirect("similar:triage")


@require_POST
@admin_required
def merge(request: HttpRequest) -> HttpResponse:
    source = access.post_or_404(request.user, _post_id(request, "source"))
    target = access.post_or_404(request.user, _post_id(request, "target"))
    try:
        board_services.post_merge(source=source, target=target, actor=_actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"“{source.title}” was merged into “{target.title}”; it can be undone there."
        )
    return redirect("similar:triage")
