"""Admin pages under /webhooks/admin/: endpoints, their deliveries, replays."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from monoboard.boards import access
from monoboard.webhooks import selectors, services
from monoboard.webhooks.models import EVENT_KINDS

NEW_SECRET_SESSION_KEY = "webhook_new_secret"  # noqa: S105 - a session key name


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    access.require_admin(request.user)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            new = services.endpoint_create(
                actor=request.user,  # type: ignore[arg-type]
                url=request.POST.get("url", ""),
                events=request.POST.getlist("events"),
                description=request.POST.get("description", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            request.session[NEW_SECRET_SESSION_KEY] = new.secret
            return redirect("webhooks:endpoint", endpoint_id=new.endpoint.pk)
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "section": "webhooks",
            "endpoints": selectors.endpoints(),
            "event_kinds": EVENT_KINDS,
            "errors": errors,
            "form": request.POST if errors else None,
        },
    )


@login_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    access.require_admin(request.user)
    endpoint = selectors.endpoint_or_404(endpoint_id)
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "section": "webhooks",
            "endpoint": endpoint,
            "deliveries": selectors.recent_deliveries(endpoint),
            "new_secret": request.session.pop(NEW_SECRET_SESSION_KEY, None),
        },
    )


@login_required
@require_POST
def endpoint_toggle(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    access.require_admin(request.user)
    endpoint = selectors.endpoint_or_404(endpoint_id)
    services.endpoint_set_active(
        actor=request.user,  # type: ignore[arg-type]
        endpoint=endpoint,
        active=not endpoint.is_active,
    )
    messages.success(request, "Endpoint switched on." if endpoint.is_active else "Endpoint paused.")
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    access.require_admin(request.user)
    services.endpoint_delete(actor=request.user, endpoint=selectors.endpoint_or_404(endpoint_id))  # type: ignore[arg-type]
    messages.success(request, "Endpoint deleted.")
    return redirect("webhooks:endpoints")


@login_required
@require_POST
def delivery_replay(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    access.require_admin(request.user)
    endpoint = selectors.endpoint_or_404(endpoint_id)
    delivery = selectors.delivery_or_404(endpoint, delivery_id)
    services.delivery_replay(actor=request.user, delivery=delivery)  # type: ignore[arg-type]
    messages.success(request, f"Delivery {delivery.pk} queued again.")
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)
