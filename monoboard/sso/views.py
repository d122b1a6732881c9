"""Pages of single sign-on: the callback, the redirect, admin settings, the widget frame."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Board
from monoboard.core.decorators import admin_required
from monoboard.sso import selectors, services
from monoboard.sso.forms import BoardRulesForm, RevenueFilterForm, SSOSettingsForm
from monoboard.sso.tokens import TokenRefused

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _admin(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _unwrap(value: str) -> str:
    """A comma-wrapped list (",a,b,") as the form shows it ("a b")."""
    return " ".join(v for v in value.split(",") if v)


def _show_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


# --- sign-in ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD"])
def callback(request: HttpRequest) -> HttpResponse:
    """Where the customer's login sends the person back: ``?token=<jwt>&next=/path``."""
    try:
        user = services.identify(token=request.GET.get("token", ""))
    except TokenRefused as refused:
        config = selectors.sso_settings()
        return render(
            request,
            "sso/refused.html",
            {"reason": str(refused), "retry": bool(config.login_url)},
            status=400,
        )
    login(request, user, backend=BACKEND)
    return redirect(selectors.safe_next(request.GET.get("next", "/")))


@never_cache
def start(request: HttpRequest) -> HttpResponse:
    """Send the visitor to the customer's login (``/sso/login/?next=``)."""
    config = selectors.sso_settings()
    if not config.login_url:
        raise Http404("Redirect sign-in is not set up")
    return HttpResponseRedirect(selectors.login_redirect_url(config, request.GET.get("next", "/")))


# --- admin settings ---------------------------------------------------------------


@admin_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    config = selectors.sso_settings()
    initial = {
        "jwks_url": config.jwks_url,
        "issuer": config.issuer,
        "audience": config.audience,
        "login_url": config.login_url,
        "redirect_mode": config.redirect_mode,
        "widget_origins": config.widget_origins,
    }
    new_secret = ""
    form = SSOSettingsForm(initial=initial)
    if request.method == "POST" and request.POST.get("action") == "secret":
        # Shown in this answer only; a reload shows it no more.
        new_secret = services.secret_regenerate(actor=_admin(request))
        config = selectors.sso_settings()
    elif request.method == "POST":
        form = SSOSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.sso_settings_update(actor=_admin(request), **form.cleaned_data)
            except ValidationError as error:
                _show_errors(form, error)
            else:
                messages.success(request, "Single sign-on settings saved.")
                return redirect("sso:settings")
    context = {
        "form": form,
        "config": config,
        "new_secret": new_secret,
        "boards": list(Board.objects.order_by("position", "name")),
        "callback_url": f"{settings.SITE_URL}/sso/callback",
        "widget_src": f"{settings.SITE_URL}{settings.STATIC_URL}sso/widget.js",
    }
    return render(request, "sso/settings.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def board_rules(request: HttpRequest, board_id: int) -> HttpResponse:
    board = Board.objects.filter(pk=board_id).first()
    if board is None:
        raise Http404("No such board")
    initial = {
        "email_domains": _unwrap(board.allowed_email_domains),
        "sso_only": board.sso_only,
        "roles": _unwrap(board.allowed_roles),
        "plans": _unwrap(board.allowed_plans),
    }
    form = BoardRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.board_access_rules_set(
                actor=_admin(request),
                board=board,
                email_domains=data["email_domains"],
                sso_only=data["sso_only"],
                roles=data["roles"],
                plans=data["plans"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Who may see {board.name!r} was saved.")
            return redirect("sso:settings")
    return render(
        request,
        "sso/board_rules.html",
        {"form": form, "board": board},
        status=400 if form.errors else 200,
    )


@admin_required
def revenue(request: HttpRequest) -> HttpResponse:
    form = RevenueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    posts = selectors.posts_by_revenue(
        _admin(request),
        board_slug=data.get("board") or "",
        min_revenue=data.get("min_revenue"),
        company=data.get("company") or "",
    )
    boards = list(access.visible_boards(request.user))
    return render(
        request,
        "sso/revenue.html",
        {"form": form, "posts": posts, "boards": boards},
        status=400 if form.errors else 200,
    )


# --- the widget -------------------------------------------------------------------


@xframe_options_exempt
@never_cache
def widget_frame(request: HttpRequest) -> HttpResponse:
    """The panel inside the embedding site's iframe; only listed origins may frame it."""
    config = selectors.sso_settings()
    origins = config.origins
    response = render(
        request,
        "sso/widget_frame.html",
        {"origins": origins, "board_url": settings.SITE_URL},
    )
    policy = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = origins or ["'none'"]
    response._csp_config = policy  # type: ignore[attr-defined]
    return response


@csrf_exempt  # no cookie is read or set: the signed token is the credential
@require_POST
@never_cache
def widget_identify(request: HttpRequest) -> JsonResponse:
    """``{"token": <jwt>, "origin": <embedding page's origin>}`` → an access token."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"error": "Send a JSON object with token and origin."}, status=400)
    try:
        session = services.widget_session(
            token=str(body.get("token") or ""), origin=str(body.get("origin") or "")
        )
    except TokenRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    user = session.user
    return JsonResponse(
        {
            "access_token": session.access_token,
            "expires_in": session.expires_in,
            "user": {"id": user.pk, "name": user.display_name, "email": user.email},
        }
    )
