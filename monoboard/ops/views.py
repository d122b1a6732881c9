"""Probes for load balancers, and the admins' Scale page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from monoboard.core import roles as access
from monoboard.ops import advisor, charts, pgstats, simulate

#: The Scale page replays this much per-minute history through the stage-5 policies.
REPLAY_WINDOW = timedelta(hours=6)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no database."""
    return JsonResponse({"status": "ok"})


@login_required
def scale(request: HttpRequest) -> HttpResponse:
    """The admins' Scale page: stage, thresholds, next step and charts."""
    access.require_admin(request.user)
    figures = advisor.measure()
    now = timezone.now()
    periods = [
        {
            "title": "Last 24 hours",
            "series": charts.build_series(
                end=now, span=timedelta(hours=24), step=timedelta(hours=1)
            ),
        },
        {
            "title": "Last 30 days",
            "series": charts.build_series(end=now, span=timedelta(days=30), step=timedelta(days=1)),
        },
    ]
    history = simulate.load_history(window=REPLAY_WINDOW, now=now)
    replay = simulate.simulate(history) if history else None
    if replay:
        periods.append(
            {
                "title": "Autoscaling replayed, last 6 hours",
                "series": charts.simulation_series(replay),
            }
        )
    context = {
        "advice": advisor.advise(figures, advisor.current_configuration(figures)),
        "replay": replay,
        "figures": figures,
        "periods": periods,
        "width": charts.WIDTH,
        "height": charts.HEIGHT,
        # Stage 1 has no server statistics to show; from stage 2 on, the top
        # statements or how to switch them on.
        "server_stats": (
            pgstats.server_statements(by="total", limit=5)
            if connection.vendor == "postgresql"
            else None
        ),
    }
    return render(request, "ops/scale.html", context)
