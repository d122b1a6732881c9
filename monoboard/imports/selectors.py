"""Reads for the import pages."""

from __future__ import annotations

from typing import Any

from monoboard.imports.models import ImportRun, RunState

PHASES = ("users", "posts", "votes", "comments", "counts")


def recent_runs(limit: int = 20) -> list[ImportRun]:
    return list(
        ImportRun.objects.defer("payload", "plan")
        .select_related("created_by")
        .order_by("-id")[:limit]
    )


def run_detail(run_id: int) -> ImportRun | None:
    return ImportRun.objects.select_related("created_by").filter(pk=run_id).first()


def progress_of(run: ImportRun) -> dict[str, Any]:
    """The phase, its rows done of total, and the whole run's percentage."""
    state = run.progress or {}
    phase = str(state.get("phase", ""))
    done, total = int(state.get("done", 0)), int(state.get("total", 0))
    if run.state == RunState.DONE:
        return {"phase": "done", "done": total, "total": total, "percent": 100}
    step = PHASES.index(phase) if phase in PHASES else 0
    within = done / total if total else 0.0
    percent = int(100 * (step + min(within, 1.0)) / len(PHASES))
    return {"phase": phase or "waiting", "done": done, "total": total, "percent": percent}


def counts_of(run: ImportRun) -> list[tuple[str, int]]:
    labels = {
        "posts": "Posts",
        "votes": "Votes",
        "comments": "Comments",
        "users_created": "People added",
        "users_matched": "People matched by email",
        "boards_created": "Boards made",
        "tags_created": "Tags made",
        "merged": "Duplicates merged",
        "votes_skipped": "Votes skipped (no such post or person)",
    }
    return [(label, int(run.counts[key])) for key, label in labels.items() if run.counts.get(key)]
