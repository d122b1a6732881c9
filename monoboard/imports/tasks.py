"""The import job: a confirmed upload, run by the jobs worker."""

from __future__ import annotations

from django.tasks import task

from monoboard.imports import services
from monoboard.imports.models import ImportRun, RunState
from monoboard.imports.sources import open_csv
from monoboard.jobs import retry_policy


@retry_policy(max_attempts=3)
@task
def run_import(run_id: int) -> dict[str, int]:
    """Runs or resumes the import; a worker killed mid-way leaves it to carry on."""
    run = ImportRun.objects.filter(pk=run_id).select_related("created_by").first()
    if run is None or run.state == RunState.DONE or run.payload is None:
        return {}
    source = open_csv(
        run.source, run.label, bytes(run.payload), board=run.mapping.get("board", "Feedback")
    )
    done = services.import_execute(run=run, source=source)
    return dict(done.counts)
