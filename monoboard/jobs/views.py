"""The admins' jobs page: backlog, event consumers, live workers, schedules, failed tasks."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from monoboard.core import consumers
from monoboard.core.decorators import admin_required
from monoboard.jobs import selectors, services


@require_safe
@admin_required
def jobs_admin(request: HttpRequest) -> HttpResponse:
    context = {
        "backlog": selectors.backlog(),
        "failed": selectors.failed_jobs(limit=100),
        "failed_total": selectors.failed_count(),
        "workers": selectors.live_workers(settings.JOBS_LEASE_S),
        "schedules": selectors.schedules(),
        "consumers": consumers.statuses(),
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
