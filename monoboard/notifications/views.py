"""Notification pages. Reads through selectors, writes through services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from monoboard.boards import access
from monoboard.notifications import links, selectors, services
from monoboard.notifications.models import Delivery, Kind

if TYPE_CHECKING:
    from monoboard.accounts.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    uid = int(request.user.pk or 0)
    return render(
        request,
        "notifications/inbox.html",
        {
            "notifications": selectors.user_notifications(uid),
            "unread": selectors.unread_count(uid),
        },
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notification_mark_read(actor=_user(request), notification_id=notification_id)
    return _back(request, reverse("notifications:inbox"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(actor=_user(request))
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return _back(request, reverse("notifications:inbox"))


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read, then go to the post it is about (if the reader may still see it)."""
    user = _user(request)
    notification = selectors.user_notification(int(user.pk or 0), notification_id)
    services.notification_mark_read(actor=user, notification_id=notification_id)
    if notification and notification.post and access.can_view_post(user, notification.post):
        return redirect(links.post_path(notification.post))
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    error = ""
    if request.method == "POST":
        choices = {kind: request.POST.get(kind, "") for kind in Kind.values}
        try:
            services.preferences_save(actor=user, choices=choices)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, "Your email preferences are saved.")
            return redirect("notifications:preferences")
    current = selectors.preferences(int(user.pk or 0))
    rows = [(kind, label, current[kind]) for kind, label in Kind.choices]
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "deliveries": Delivery.choices, "error": error},
        status=400 if error else 200,
    )


@require_POST
def follow(request: HttpRequest, post_id: int) -> HttpResponse:
    post = access.post_or_404(request.user, post_id)
    if not access.is_member(request.user):
        return redirect(f"{reverse('accounts:signin')}?next={links.post_path(post)}")
    following = request.POST.get("follow") == "1"
    services.follow_set(actor=_user(request), post=post, following=following)
    messages.success(
        request,
        "You will be told about updates to this post."
        if following
        else "You will no longer be told about this post.",
    )
    return _back(request, links.post_path(post))


@csrf_exempt  # RFC 8058: mail clients POST here without a session or a CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation; POST (a person, or a mail client's one click) acts."""
    try:
        _, kind = links.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    label = (
        "daily digest"
        if kind == links.DIGEST
        else Kind(kind).label.lower()
        if kind in Kind.values
        else kind
    )
    if request.method == "POST":
        try:
            services.unsubscribe(token=token)
        except ValidationError:
            return render(request, "notifications/unsubscribe_invalid.html", status=400)
        return render(request, "notifications/unsubscribe_done.html", {"label": label})
    return render(
        request, "notifications/unsubscribe_confirm.html", {"label": label, "token": token}
    )


# --- Admin page ---------------------------------------------------------------


def _admin_context() -> dict[str, object]:
    return {
        "recent": selectors.outbox_recent(limit=50),
        "failed": selectors.outbox_failed(limit=50),
        "counts": selectors.outbox_counts(),
        "destination": selectors.mail_destination(),
    }


@login_required
def admin_page(request: HttpRequest) -> HttpResponse:
    access.require_admin(request.user)
    return render(request, "notifications/admin.html", _admin_context())


@login_required
@require_POST
def admin_test_email(request: HttpRequest) -> HttpResponse:
    access.require_admin(request.user)
    address = request.POST.get("address", "")
    try:
        services.test_email_send(actor=_user(request), address=address)
    except ValidationError as exc:
        context = _admin_context() | {"error": " ".join(exc.messages), "address": address}
        return render(request, "notifications/admin.html", context, status=400)
    messages.success(request, f"A test email to {address.strip()} is queued.")
    return redirect("notifications:admin")


@login_required
@require_POST
def admin_retry(request: HttpRequest) -> HttpResponse:
    access.require_admin(request.user)
    raw = request.POST.get("email_id", "")
    email_id = int(raw) if raw.isdigit() else None
    count = services.outbox_retry(actor=_user(request), email_id=email_id)
    messages.success(request, f"{count} email{'s' if count != 1 else ''} queued again.")
    return redirect("notifications:admin")
