"""`manage.py slowqueries`: the statements that cost the most, worst first.

Two sources: the app's own slow-query log (``--source app``) and, on
PostgreSQL, the server's pg_stat_statements (``--source server``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import Count, Max, Sum
from django.utils import timezone

from monoboard.ops import pgstats
from monoboard.ops.models import SlowQuery

SERVER_TITLE = "Server-side (pg_stat_statements)"


def _ms(value: float) -> str:
    """Milliseconds, with decimals only where they matter (server figures are often < 1 ms)."""
    return f"{value:.0f} ms" if value >= 10 else f"{value:.2f} ms"


class Command(BaseCommand):
    help = "List the slowest recorded queries, grouped by statement shape."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=24.0, help="app log window")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--by", choices=("total", "max", "count"), default="total")
        parser.add_argument(
            "--source",
            choices=("app", "server", "both"),
            default="both",
            help="the app's slow-query log, PostgreSQL's pg_stat_statements, or both",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="forget this database's pg_stat_statements figures after listing them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1 or options["hours"] <= 0:
            raise CommandError("--limit and --hours must be positive")
        both = options["source"] == "both"
        if options["source"] in ("app", "both"):
            if both:
                self.stdout.write(f"Application (slow-query log, last {options['hours']:g} h)")
            self.app_section(options)
        if options["source"] in ("server", "both"):
            if both:
                self.stdout.write("")
            self.stdout.write(SERVER_TITLE)
            self.server_section(options)
        if options["reset"]:
            self.reset()

    def app_section(self, options: dict[str, Any]) -> None:
        since = timezone.now() - timedelta(hours=options["hours"])
        order = {"total": "-total_ms", "max": "-max_ms", "count": "-times"}[options["by"]]
        rows = (
            SlowQuery.objects.filter(created_at__gte=since)
            .values("fingerprint")
            .annotate(times=Count("id"), total_ms=Sum("duration_ms"), max_ms=Max("duration_ms"))
            .order_by(order)[: options["limit"]]
        )
        found = False
        for rank, row in enumerate(rows, start=1):
            found = True
            example = (
                SlowQuery.objects.filter(fingerprint=row["fingerprint"])
                .order_by("-duration_ms")
                .first()
            )
            assert example is not None
            self.stdout.write(
                f"{rank}. {row['times']}x  total {row['total_ms']:.0f} ms"
                f"  max {row['max_ms']:.0f} ms"
                f"  route {example.route or '-'}  at {example.location or '-'}"
            )
            self.stdout.write(f"   {example.sql[:400]}")
        if not found:
            self.stdout.write(
                f"No query was slower than the threshold in the last {options['hours']:g} h."
            )

    def server_section(self, options: dict[str, Any]) -> None:
        stats = pgstats.server_statements(by=options["by"], limit=options["limit"])
        if stats.unavailable:
            self.stdout.write(f"Unavailable. {stats.unavailable}")
            return
        if stats.since:
            self.stdout.write(f"Counted since {stats.since:%Y-%m-%d %H:%M} UTC.")
        if not stats.statements:
            self.stdout.write("No statement has been counted in this database yet.")
        for rank, s in enumerate(stats.statements, start=1):
            hits = f"{s.hit_ratio:.0%}" if s.hit_ratio is not None else "-"
            self.stdout.write(
                f"{rank}. {s.calls}x  total {_ms(s.total_ms)}  mean {_ms(s.mean_ms)}"
                f"  max {_ms(s.max_ms)}  rows {s.rows}  cache hits {hits}"
            )
            self.stdout.write(f"   {' '.join(s.query.split())[:400]}")

    def reset(self) -> None:
        try:
            pgstats.reset()
        except RuntimeError as exc:
            raise CommandError(f"Cannot reset: {exc}") from exc
        except DatabaseError as exc:
            raise CommandError(
                f"Cannot reset: {exc}".strip()
                + " (a superuser can GRANT EXECUTE ON FUNCTION pg_stat_statements_reset"
                " TO the app's role)"
            ) from exc
        self.stdout.write("Reset pg_stat_statements for this database.")
