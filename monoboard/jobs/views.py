"""The admins' jobs page: backlog, live workers, schedules, failed tasks and retry."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from monoboard.boards import access
from monoboard.jobs import selectors, services

View = Callable[..., HttpResponse]


def admin_required(view: View) -> View:
    """Visitors are sent to sign in; signed-in people who are not admins get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_member(request.user):
            return redirect_to_login(request.get_full_path())
        if not access.is_admin(request.user):
            raise PermissionDenied("Only admins may see background jobs.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@admin_required
def jobs_admin(request: HttpRequest) -> HttpResponse:
    context = {
        "backlog": selectors.backlog(),
        "failed": selectors.failed_jobs(limit=100),
        "failed_total": selectors.failed_count(),
        "workers": selectors.live_workers(settings.JOBS_LEASE_S),
        "schedules": selectors.schedules(),
    }
    return render(request, "jobs/admin.html", context)


@require_POST
@admin_required
def job_retry(request: HttpRequest, job_id: str) -> HttpResponse:
    try:
        services.job_retry(actor=request.user, job_id=job_id)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, "The job is back in the queue.")
    return redirect("jobs:admin")
