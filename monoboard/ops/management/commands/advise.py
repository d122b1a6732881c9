"""`manage.py advise`: the current stage, every threshold, the one next step."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.ops import advisor, simulate


class Command(BaseCommand):
    help = "Say which scaling stage this site is at and whether the next one is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=1.0, help="window to judge (default 1)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument(
            "--simulate",
            action="store_true",
            help="replay the window's per-minute history through the stage-5 autoscaling "
            "policies (the seeds' and Kubernetes' HPA) and print what they would have run",
        )
        parser.add_argument(
            "--history",
            type=Path,
            help="with --simulate: replay this history file instead of the database's",
        )
        parser.add_argument(
            "--export",
            type=Path,
            help="with --simulate: write the window's history to this file and stop",
        )
        parser.add_argument(
            "--load-factor",
            type=float,
            default=1.0,
            help="with --simulate: replay the history at this multiple of its load (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["hours"] <= 0:
            raise CommandError("--hours must be more than 0")
        if options["simulate"]:
            self.simulate(options)
            return
        if options["history"] or options["export"] or options["load_factor"] != 1.0:
            raise CommandError("--history, --export and --load-factor need --simulate")
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

    def simulate(self, options: dict[str, Any]) -> None:
        if options["load_factor"] <= 0:
            raise CommandError("--load-factor must be more than 0")
        if options["history"] and options["export"]:
            raise CommandError("--history reads a file and --export writes one: give only one")
        if options["history"]:
            try:
                history = simulate.read_history(options["history"])
            except simulate.HistoryError as exc:
                raise CommandError(str(exc)) from exc
        else:
            history = simulate.load_history(window=timedelta(hours=options["hours"]))
        if options["export"]:
            simulate.dump_history(history, options["export"])
            self.stdout.write(f"Wrote {len(history)} minutes to {options['export']}")
            return
        if not history:
            raise CommandError(
                "no per-minute history to replay: the window holds no rollups, CPU rows or "
                "samples (METRICS_ROLLUPS on, and the jobs worker samples once a minute)"
            )
        result = simulate.simulate(history, load_factor=options["load_factor"])
        if options["json"]:
            self.stdout.write(json.dumps(simulate.as_json(result), indent=2))
            return
        for line in simulate.report(result):
            self.stdout.write(line)
