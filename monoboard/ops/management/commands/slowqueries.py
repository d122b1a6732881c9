"""`manage.py slowqueries`: the statements that cost the most, worst first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Max, Sum
from django.utils import timezone

from monoboard.ops.models import SlowQuery


class Command(BaseCommand):
    help = "List the slowest recorded queries, grouped by statement shape."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=24.0)
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--by", choices=("total", "max", "count"), default="total")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1 or options["hours"] <= 0:
            raise CommandError("--limit and --hours must be positive")
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
