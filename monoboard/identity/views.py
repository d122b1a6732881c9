"""Pages of the sign-in methods: email link and code, provider sign-in,
linked accounts, and the admins' provider settings. Thin: services write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from monoboard.accounts.models import User
from monoboard.core import roles as access
from monoboard.identity import oidc, providers, selectors, services
from monoboard.identity.forms import CodeForm, EmailRequestForm, ProviderForm
from monoboard.identity.models import Provider
from monoboard.lib.client_ip import client_ip

GET_POST = ["GET", "HEAD", "POST"]
BACKEND = "django.contrib.auth.backends.ModelBackend"
NONCE_KEY = "identity.browser_nonce"
CHALLENGE_KEY = "identity.challenge"
NEXT_KEY = "identity.next"


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _browser_nonce(request: HttpRequest) -> str:
    nonce = request.session.get(NONCE_KEY)
    if not isinstance(nonce, str):
        nonce = services.new_browser_nonce()
        request.session[NONCE_KEY] = nonce
    return nonce


def _error(
    request: HttpRequest, message: str, *, status: int = 400, title: str = ""
) -> HttpResponse:
    context = {"message": message, "title": title or "Sign-in did not work"}
    return render(request, "identity/error.html", context, status=status)


def _sign_in(request: HttpRequest, user: User) -> None:
    nonce = request.session.get(NONCE_KEY)
    login(request, user, backend=BACKEND)  # a new session key: no fixation
    if nonce:  # links of other sign-ins asked for in this browser still work
        request.session[NONCE_KEY] = nonce
    request.session.pop(CHALLENGE_KEY, None)


# --- emailed link and code --------------------------------------------------------


@require_http_methods(GET_POST)
def email_request(request: HttpRequest) -> HttpResponse:
    if not settings.PASSWORDLESS_SIGNIN:
        raise Http404("Sign-in by email is turned off")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = EmailRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sent = services.email_signin_request(
                    email=form.cleaned_data["email"],
                    browser_nonce=_browser_nonce(request),
                    ip=client_ip(request),
                    next_url=next_url,
                )
            except services.Throttled as exc:
                form.add_error(None, str(exc))
                status = 429
            except ValidationError as exc:
                form.add_service_error(exc)
                status = 400
            else:
                request.session[CHALLENGE_KEY] = {"id": sent.public_id, "email": sent.email}
                return redirect("identity:email_code")
        else:
            status = 400
    context = {"form": form, "next": next_url, "minutes": settings.PASSWORDLESS_TTL // 60}
    return render(request, "identity/email_request.html", context, status=status)


@require_http_methods(GET_POST)
def email_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(CHALLENGE_KEY)
    if not isinstance(pending, dict):
        return redirect("identity:email_request")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user, next_url = services.email_signin_with_code(
                    public_id=str(pending.get("id", "")),
                    browser_nonce=str(request.session.get(NONCE_KEY, "")),
                    code=form.cleaned_data["code"],
                    ip=client_ip(request),
                )
            except services.Throttled as exc:
                form.add_error(None, str(exc))
                status = 429
            except ValidationError as exc:
                form.add_service_error(exc)
                status = 400
            else:
                _sign_in(request, user)
                return redirect(_safe_next(request, next_url))
        else:
            status = 400
    context = {
        "form": form,
        "email": pending.get("email", ""),
        "minutes": settings.PASSWORDLESS_TTL // 60,
    }
    return render(request, "identity/email_code.html", context, status=status)


def email_link(request: HttpRequest, public_id: str, secret: str) -> HttpResponse:
    try:
        user, next_url = services.email_signin_with_link(
            public_id=public_id,
            secret=secret,
            browser_nonce=str(request.session.get(NONCE_KEY, "")),
            ip=client_ip(request),
        )
    except services.WrongBrowser as exc:
        return _error(request, str(exc), title="Open this link where you asked for it")
    except services.Throttled as exc:
        return _error(request, str(exc), status=429)
    except ValidationError as exc:
        return _error(request, " ".join(exc.messages))
    _sign_in(request, user)
    return redirect(_safe_next(request, next_url))


# --- providers ----------------------------------------------------------------------


def oidc_start(request: HttpRequest, slug: str) -> HttpResponse:
    provider = providers.get(slug)
    if provider is None:
        raise Http404("No such sign-in provider")
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    try:
        return oidc.start(request, provider)
    except oidc.FlowError as exc:
        return _error(request, str(exc), status=502)


def oidc_callback(request: HttpRequest, slug: str) -> HttpResponse:
    provider = providers.get(slug)
    if provider is None:
        raise Http404("No such sign-in provider")
    try:
        identity = oidc.finish(request, provider)
    except oidc.FlowError as exc:
        return _error(request, str(exc))
    actor = request.user if isinstance(request.user, User) else None
    try:
        user, what = services.provider_sign_in(identity=identity, actor=actor)
    except ValidationError as exc:
        return _error(request, " ".join(exc.messages))
    next_url = _safe_next(request, request.session.pop(NEXT_KEY, None))
    if actor is not None:
        messages.success(request, f"Your {provider.name} account is linked.")
        return redirect("identity:connections")
    _sign_in(request, user)
    if what == "created":
        messages.success(request, f"Welcome, {user.display_name}! Your account is ready.")
    elif what == "linked":
        messages.success(request, f"Your {provider.name} account is now linked to {user.email}.")
    return redirect(next_url)


@login_required
def connections(request: HttpRequest) -> HttpResponse:
    me = request.user
    assert isinstance(me, User)
    links = selectors.linked_identities(me)
    linked = {link.provider for link in links}
    context = {
        "links": links,
        "providers": [p for p in providers.configured() if p.slug not in linked],
        "has_password": me.has_usable_password(),
        "passwordless": settings.PASSWORDLESS_SIGNIN,
    }
    return render(request, "identity/connections.html", context)


@login_required
@require_POST
def unlink(request: HttpRequest, pk: int) -> HttpResponse:
    me = request.user
    assert isinstance(me, User)
    try:
        link = services.identity_unlink(actor=me, identity_id=pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{selectors.provider_label(link.provider)} is unlinked.")
    return redirect("identity:connections")


# --- admins: providers -----------------------------------------------------------------


def _admin(request: HttpRequest) -> User:
    me = request.user
    if not isinstance(me, User) or not access.is_admin(me):
        raise PermissionDenied("Only admins change sign-in settings.")
    return me


def _input(form: ProviderForm) -> services.ProviderInput:
    data = form.cleaned_data
    return services.ProviderInput(
        slug=data["slug"],
        kind=data["kind"],
        name=data["name"],
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        issuer=data["issuer"],
        enabled=data["enabled"],
    )


@login_required
def provider_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    context = {
        "rows": selectors.provider_rows(),
        "env_providers": [p for p in providers.configured() if p.from_env],
        "site_url": settings.SITE_URL,
        "passwordless": settings.PASSWORDLESS_SIGNIN,
    }
    return render(request, "identity/providers.html", context)


@login_required
@require_http_methods(GET_POST)
def provider_new(request: HttpRequest) -> HttpResponse:
    me = _admin(request)
    form = ProviderForm(request.POST or None, initial={"enabled": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                row = services.provider_save(actor=me, data=_input(form))
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request, f"{row.name} is added. Its secret is kept and never shown again."
                )
                return redirect("signin_settings:providers")
        status = 400
    context = {"form": form, "row": None, "site_url": settings.SITE_URL}
    return render(request, "identity/provider_form.html", context, status=status)


@login_required
@require_http_methods(GET_POST)
def provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    me = _admin(request)
    row = get_object_or_404(Provider, pk=pk)
    initial = {
        "kind": row.kind,
        "slug": row.slug,
        "name": row.name,
        "client_id": row.client_id,
        "issuer": row.issuer,
        "enabled": row.enabled,
    }
    form = ProviderForm(request.POST or None, initial=initial)
    form.fields[
        "client_secret"
    ].help_text = f"Stored: {providers.masked(row.client_secret)}. Leave empty to keep it."
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.provider_save(actor=me, data=_input(form), provider_id=row.pk)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, f"{form.cleaned_data['name'] or row.name} is saved.")
                return redirect("signin_settings:providers")
        status = 400
    context = {"form": form, "row": row, "site_url": settings.SITE_URL}
    return render(request, "identity/provider_form.html", context, status=status)


@login_required
@require_POST
def provider_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = _admin(request)
    services.provider_delete(actor=me, provider_id=pk)
    messages.success(request, "The provider is removed.")
    return redirect("signin_settings:providers")
