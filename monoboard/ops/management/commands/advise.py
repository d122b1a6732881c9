"""`manage.py advise`: the current stage, every threshold, the one next step."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.ops import advisor


class Command(BaseCommand):
    help = "Say which scaling stage this site is at and whether the next one is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=1.0, help="window to judge (default 1)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["hours"] <= 0:
            raise CommandError("--hours must be more than 0")
        figures = advisor.measure(window=timedelta(hours=options["hours"]))
        advice = advisor.advise(figures, advisor.current_configuration(figures))
        if options["json"]:
            self.stdout.write(json.dumps(asdict(advice), indent=2, default=str))
            return
        out = self.stdout.write
        out(f"Stage {advice.stage}: {advice.stage_name}")
        out(
            f"Window: last {options['hours']:g} h, {figures.requests:,} requests in "
            f"{figures.minutes} minutes measured"
        )
        if advice.evidence:
            out(f"Evidence: {advice.evidence.rule}")
        if advice.cpu_summary:
            out(f"CPU: {advice.cpu_summary}")
        out("")
        width = max(len(t.name) for t in advice.thresholds)
        for t in advice.thresholds:
            mark = "OVER " if t.crossed else "ok   "
            note = f"  ({t.note})" if t.note else ""
            value, limit = t.shown_value(), f"{t.limit:g}{t.unit}"
            out(f"  {mark}{t.name.ljust(width)}  {value:>14}  limit {limit}{note}")
        out("")
        if advice.held_back:
            out(f"Next step: none yet. {advice.held_back}")
        elif advice.next_step:
            step = advice.next_step
            out(f"Next step: {step.title} (stage {step.stage})")
            out(f"  why:  {step.why}")
            out(f"  cost: {step.cost}")
            out(f"  how:  {step.doc}")
        else:
            out("Next step: none. Every measured figure is within its limit; stay as you are.")
        if advice.not_needed:
            out("\nNot needed yet:")
            for note in advice.not_needed:
                out(f"  - {note}")
