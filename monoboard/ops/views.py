"""Probes for load balancers and orchestrators."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no database."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and every migration is applied."""
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any failure means "do not send me traffic"
        return JsonResponse({"status": "unavailable", "error": str(exc)[:200]}, status=503)
    if pending:
        return JsonResponse({"status": "migrating", "pending": len(pending)}, status=503)
    return JsonResponse({"status": "ready"})
