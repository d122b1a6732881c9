"""Account pages: sign-up, sign-in, password reset, profile, people, setup."""

from __future__ import annotations

from urllib.parse import urlencode as query_string

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from monoboard.accounts import selectors, services
from monoboard.accounts.forms import (
    ChangePasswordForm,
    ProfileForm,
    ResetRequestForm,
    RoleForm,
    SetPasswordForm,
    SetupForm,
    SignInForm,
    SignUpForm,
)
from monoboard.accounts.models import User
from monoboard.core import roles as access
from monoboard.lib.client_ip import client_ip
from monoboard.lib.cursor import BadCursor

GET_POST = ["GET", "HEAD", "POST"]


def _safe_next(request: HttpRequest, target: str | None, default: str = "") -> str:
    """``target`` if it stays on this site, else the default landing page."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def _me(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # guarded by login_required
        raise PermissionDenied("Sign in first.")
    return user


# --- sign-up, sign-in, sign-out -----------------------------------------------------


@require_http_methods(GET_POST)
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if not settings.SIGNUP_OPEN:
        return render(request, "accounts/signup_closed.html", status=403)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            # A taken address (user is None) gets the same answer as a new
            # one; its owner is emailed instead (services.user_signup).
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            typed = User(
                email=form.cleaned_data["email"].strip().lower(),
                name=" ".join(form.cleaned_data["name"].split()),
            )
            messages.success(request, f"Welcome, {typed.display_name}! Your account is ready.")
            return redirect(next_url)
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@require_http_methods(GET_POST)
def signin(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url)
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signin(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except services.SignInThrottled as exc:
            form.add_error(None, str(exc))
            status = 429
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            login(request, user)
            return redirect(next_url)
    context = {"form": form, "next": next_url, "signup_open": settings.SIGNUP_OPEN}
    return render(request, "accounts/signin.html", context, status=status)


def django_admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin signs in through the product's sign-in page, so its
    login is under the same throttle instead of checking passwords itself."""
    target = request.GET.get("next") or "/django-admin/"
    query = query_string({"next": target}, safe="/")
    return redirect(f"{reverse('accounts:signin')}?{query}")


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- password reset -----------------------------------------------------------


@require_http_methods(GET_POST)
def reset_request(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:reset_sent")
    return render(request, "accounts/reset_request.html", {"form": form})


def reset_sent(request: HttpRequest) -> HttpResponse:
    hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
    return render(request, "accounts/reset_sent.html", {"valid_hours": hours})


@require_http_methods(GET_POST)
def reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if selectors.user_from_reset_link(uidb64, token) is None:
        return render(request, "accounts/reset_invalid.html", status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(
                uidb64=uidb64, token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Your password is changed. Sign in with the new one.")
            return redirect("accounts:signin")
    return render(request, "accounts/reset_confirm.html", {"form": form})


# --- profile ------------------------------------------------------------------


@login_required
@require_http_methods(GET_POST)
def profile(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    action = request.POST.get("action") if request.method == "POST" else None
    # Both forms have a "current_password": distinct id prefixes keep the ids
    # (and each label's "for") unique on the page; field names stay as they are.
    profile_form = ProfileForm(
        request.POST if action == "profile" else None,
        initial={"name": me.name, "email": me.email},
        auto_id="profile_%s",
    )
    password_form = ChangePasswordForm(
        request.POST if action == "password" else None, auto_id="password_%s"
    )
    if action == "profile" and profile_form.is_valid():
        try:
            services.user_update_profile(
                actor=me,
                user=me,
                name=profile_form.cleaned_data["name"],
                email=profile_form.cleaned_data["email"],
                current_password=profile_form.cleaned_data["current_password"],
            )
        except ValidationError as exc:
            me.refresh_from_db()
            profile_form.add_service_error(exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    elif action == "avatar":
        services.user_set_gravatar(
            actor=me, user=me, enabled=request.POST.get("use_gravatar") == "1"
        )
        messages.success(request, "Your picture setting is saved.")
        return redirect("accounts:profile")
    elif action == "password" and password_form.is_valid():
        try:
            services.user_change_password(
                actor=me,
                user=me,
                current_password=password_form.cleaned_data["current_password"],
                new_password=password_form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            password_form.add_service_error(exc)
        else:
            update_session_auth_hash(request, me)
            messages.success(request, "Your password is changed.")
            return redirect("accounts:profile")
    context = {"profile_form": profile_form, "password_form": password_form, "me": me}
    # Input that did not save answers 400, as every other form does.
    invalid = profile_form.errors if action == "profile" else password_form.errors
    status = 400 if action in ("profile", "password") and invalid else 200
    return render(request, "accounts/profile.html", context, status=status)


# --- people (admins) ----------------------------------------------------------


def _require_admin_page(request: HttpRequest) -> User:
    """The people pages do not exist for anyone but admins."""
    me = _me(request)
    if not access.is_admin(me):
        raise Http404("No such page")
    return me


@login_required
def people(request: HttpRequest) -> HttpResponse:
    _require_admin_page(request)
    query = request.GET.get("q", "").strip()
    cursor = request.GET.get("cursor", "")
    try:
        page = selectors.people_page(query=query, cursor=cursor)
    except BadCursor as exc:
        messages.error(request, str(exc))
        page = selectors.people_page(query=query)
    next_link = None
    if page.next_cursor:
        next_link = "?" + urlencode({"q": query, "cursor": page.next_cursor})
    context = {
        "page": page,
        "query": query,
        "next_link": next_link,
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        "back": request.get_full_path(),
    }
    return render(request, "accounts/people.html", context)


def _person_action(request: HttpRequest, pk: int) -> tuple[User, User, str]:
    me = _me(request)
    access.require_admin(me)  # 403 before revealing whether the id exists
    person = get_object_or_404(User, pk=pk)
    back = _safe_next(request, request.POST.get("back"), reverse("accounts:people"))
    return me, person, back


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def person_role(request: HttpRequest, pk: int) -> HttpResponse:
    me, person, back = _person_action(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin, moderator or member.")
        return redirect(back)
    try:
        services.user_set_role(actor=me, user=person, role=form.cleaned_data["role"])
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"{person.email} is now {person.get_role_display().lower()}.")
    return redirect(back)


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    me, person, back = _person_action(request, pk)
    try:
        services.user_deactivate(actor=me, user=person)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"{person.email} is deactivated and can no longer sign in.")
    return redirect(back)


@login_required
@require_POST
def person_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    me, person, back = _person_action(request, pk)
    services.user_reactivate(actor=me, user=person)
    messages.success(request, f"{person.email} can sign in again.")
    return redirect(back)


# --- first run ----------------------------------------------------------------


@require_http_methods(GET_POST)
def setup(request: HttpRequest) -> HttpResponse:
    """Create the first admin; gone (404) once an active admin exists."""
    if selectors.active_admin_exists():
        raise Http404("Setup is finished")
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.first_admin_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
            )
        except PermissionDenied:
            raise Http404("Setup is finished") from None
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your board is ready. You are its first admin.")
            return redirect("boards:home")
    return render(request, "accounts/setup.html", {"form": form})
