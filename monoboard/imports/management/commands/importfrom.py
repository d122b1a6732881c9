"""``manage.py importfrom``: bring a Fider or Canny site (or a generic CSV) in.

First a dry run prints what the source holds and how its statuses would map,
and can save that mapping to a file; the real run takes the mapping (from
``--map-status`` or that file). Running the same import again resumes it.
See docs/import.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monoboard.accounts.models import Role, User
from monoboard.imports import services
from monoboard.imports.models import RunState
from monoboard.imports.sources import FiderDatabase, Source, SourceError, open_csv

SOURCES = ("fider", "fider-csv", "canny", "csv")


class Command(BaseCommand):
    help = (
        "Import posts, votes, comments, tags and people from Fider (its PostgreSQL database or "
        "its CSV export), a Canny CSV export or a generic CSV. Run with --dry-run first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="kind", choices=SOURCES, required=True)
        parser.add_argument(
            "--url", default="", help="fider: the database URL (postgres://user:pass@host/db)"
        )
        parser.add_argument("--tenant", default="", help="fider: the tenant's subdomain")
        parser.add_argument("--file", default="", help="CSV sources: the exported file")
        parser.add_argument(
            "--board",
            default="",
            help="board for posts whose source names none (made when missing); "
            "fider: the board's name (default: the tenant's name)",
        )
        parser.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
        parser.add_argument(
            "--save-mapping", default="", metavar="FILE", help="with --dry-run: write the mapping"
        )
        parser.add_argument(
            "--mapping", default="", metavar="FILE", help="the mapping file a dry run saved"
        )
        parser.add_argument(
            "--map-status",
            action="append",
            default=[],
            metavar="SOURCE=LOCAL",
            help="map a source status to a local status (name or slug); repeatable",
        )
        parser.add_argument(
            "--actor", default="", help="the admin the import acts as (default: the first admin)"
        )
        parser.add_argument("--batch-size", type=int, default=services.BATCH)
        parser.add_argument("--no-progress", action="store_true", help="do not draw progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        source = self._open(options)
        try:
            plan = services.import_plan(source=source)
            if options["dry_run"]:
                self._print_plan(plan)
                if options["save_mapping"]:
                    Path(options["save_mapping"]).write_text(
                        json.dumps({"statuses": plan["suggested"]}, indent=2) + "\n"
                    )
                    self.stdout.write(f"Mapping written to {options['save_mapping']}.")
                return
            self._run(source, plan, options)
        finally:
            source.close()

    def _open(self, options: dict[str, Any]) -> Source:
        kind = options["kind"]
        try:
            if kind == "fider":
                if not options["url"]:
                    raise CommandError("--from fider needs --url postgres://… of Fider's database.")
                return FiderDatabase(
                    options["url"], tenant=options["tenant"], board=options["board"]
                )
            if not options["file"]:
                raise CommandError(f"--from {kind} needs --file with the exported CSV.")
            path = Path(options["file"])
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
            csv_kind = {"fider-csv": "fider-csv", "canny": "canny-csv", "csv": "csv"}[kind]
            return open_csv(csv_kind, path.name, data, board=options["board"] or "Feedback")
        except SourceError as exc:
            raise CommandError(f"Nothing was imported.\n{exc}") from exc

    def _print_plan(self, plan: dict[str, Any]) -> None:
        out = self.stdout.write
        out(f"Source: {plan['label']} ({plan['source']})")
        out("")
        out(f"{'table':<10} {'rows':>10}")
        for table, n in plan["counts"].items():
            out(f"{table:<10} {n:>10,}")
        out("")
        out(f"{'source status':<20} {'posts':>8}  -> local status")
        for name, n in sorted(plan["statuses"].items()):
            out(f"{name:<20} {n:>8,}  -> {plan['suggested'][name]}")
        out("")
        out(f"People already here (matched by email): {plan['users_existing']:,}")
        out(
            "Post numbers: "
            + ("kept (each post's number becomes its id)" if plan["keep_numbers"] else "not kept")
        )
        if plan["votes_without_voters"]:
            out(
                f"Votes counted in the file but without voters: {plan['votes_without_voters']:,} "
                "(not imported: a vote needs its voter)"
            )
        out("")
        args = " ".join(
            f"--map-status {self._quote(s)}={self._quote(t)}"
            for s, t in sorted(plan["suggested"].items())
        )
        out(f"Dry run: nothing was written. To import with this mapping, add: {args}")

    @staticmethod
    def _quote(text: str) -> str:
        return f"'{text}'" if " " in text else text

    def _mapping(self, options: dict[str, Any]) -> dict[str, str]:
        wanted: dict[str, str] = {}
        if options["mapping"]:
            try:
                data = json.loads(Path(options["mapping"]).read_text())
                wanted.update({str(k): str(v) for k, v in data["statuses"].items()})
            except (OSError, ValueError, KeyError, AttributeError) as exc:
                raise CommandError(
                    f"Cannot read the mapping file {options['mapping']}: {exc}"
                ) from exc
        for item in options["map_status"]:
            source, sep, local = item.partition("=")
            if not sep or not source.strip() or not local.strip():
                raise CommandError(f"--map-status {item!r}: write it as SOURCE=LOCAL.")
            wanted[source.strip().lower()] = local.strip()
        if not wanted:
            raise CommandError(
                "Run with --dry-run first and confirm the status mapping: pass --map-status "
                "SOURCE=LOCAL for each source status, or --mapping FILE from --save-mapping."
            )
        return wanted

    def _actor(self, email: str) -> User:
        admins = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
        actor = admins.filter(email=email.lower()).first() if email else admins.first()
        if actor is None:
            raise CommandError(
                f"No admin {email!r}."
                if email
                else "Create an admin first (manage.py createadmin)."
            )
        return actor

    def _run(self, source: Source, plan: dict[str, Any], options: dict[str, Any]) -> None:
        try:
            statuses = services.resolve_statuses(self._mapping(options), plan["statuses"])
        except ValidationError as exc:
            raise CommandError("Nothing was imported.\n" + "\n".join(exc.messages)) from exc
        actor = self._actor(options["actor"])
        run = services.import_prepare(actor=actor, source=source, plan=plan, board=options["board"])
        if run.state == RunState.DONE:
            self.stdout.write("This source was imported already; checking that nothing is missing.")
        elif run.state in (RunState.RUNNING, RunState.FAILED) or run.counts:
            self.stdout.write(f"Resuming the import begun {run.created_at:%Y-%m-%d %H:%M}.")
        run = services.import_confirm(actor=actor, run=run, statuses=statuses, enqueue=False)
        started = time.monotonic()
        try:
            run = services.import_execute(
                run=run,
                source=source,
                progress=not options["no_progress"],
                batch=max(1, options["batch_size"]),
            )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        took = time.monotonic() - started
        counts = run.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported in {took:.1f} s: {counts.get('posts', 0):,} posts, "
                f"{counts.get('votes', 0):,} votes, {counts.get('comments', 0):,} comments; "
                f"{counts.get('users_created', 0):,} people added, "
                f"{counts.get('users_matched', 0):,} matched by email."
            )
        )
