"""Settings → Import: upload a CSV, confirm the status mapping, watch the job run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from monoboard.boards.models import Post, Status, Vote
from monoboard.imports.models import ImportRun, RunState
from monoboard.jobs.worker import Worker, WorkerConfig

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
HOME = "/settings/import/"


def run_jobs() -> int:
    """Run queued background jobs in this thread, as the worker would."""
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="imports-test")
    ran = 0
    while ran < 20 and worker.work_once():
        ran += 1
    return ran


def upload(client: Client, name: str, data: bytes, **fields: str) -> Any:
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(HOME, {"file": file, "kind": "auto", "board": "Feedback", **fields})


def test_only_admins_see_the_page(
    outsider_client: Client, member_client: Client, admin_client: Client
) -> None:
    assert outsider_client.get(HOME).status_code == 302
    assert member_client.get(HOME).status_code == 403
    page = admin_client.get(HOME)
    assert page.status_code == 200
    assert 'data-testid="import-upload"' in page.content.decode()


def test_upload_confirm_and_watch_the_import_run(admin_client: Client) -> None:
    response = upload(admin_client, "canny.csv", (FILES / "canny-posts.csv").read_bytes())
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert response["Location"] == f"{HOME}{run.pk}/"
    assert not Post.objects.exists()  # nothing before the mapping is confirmed

    page = admin_client.get(response["Location"]).content.decode()
    assert "Canny CSV export" in page
    assert re.search(r"<td>Posts</td><td>3</td>", page)
    # The suggested local status is preselected for each source status.
    planned = Status.objects.get(slug="planned")
    progress = Status.objects.get(slug="in-progress")
    fields = re.findall(r'<select name="(status_\d)"', page)
    assert len(fields) == 3
    assert re.search(rf'<option value="{planned.pk}" selected>Planned</option>', page)
    assert "in progress (1 posts)" in page

    # The admin changes one target and confirms: a job is queued.
    form = {fields[0]: str(progress.pk), fields[1]: str(planned.pk), fields[2]: str(planned.pk)}
    confirmed = admin_client.post(response["Location"], form)
    assert confirmed.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert 'data-testid="import-progress"' in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert ImportRun.objects.get().state == RunState.QUEUED

    assert run_jobs() >= 1
    page = admin_client.get(response["Location"]).content.decode()
    assert 'data-testid="import-state">Done' in page
    assert re.search(r"<td>Posts</td><td>3</td>", page)
    assert re.search(r"<td>People added</td><td>3</td>", page)
    assert "refresh" not in page
    assert Post.objects.count() == 3 and Vote.objects.count() == 4
    # Sorted source statuses: "in progress", "planned", "under review".
    assert Post.objects.get(title="Login fails on Safari").status == progress
    assert Post.objects.get(title="Slack integration").status == planned
    assert ImportRun.objects.get().payload is None  # the file is not kept after the import


def test_a_bad_file_is_refused_with_its_problems_and_nothing_is_kept(
    admin_client: Client, settings: Any
) -> None:
    response = upload(admin_client, "bad.csv", (FILES / "generic-bad.csv").read_bytes())
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 3: title is empty." in page
    assert "Line 5: type must be post, vote or comment, not &#x27;like&#x27;." in page

    response = upload(admin_client, "notes.csv", b"just,some\nrandom,columns\n")
    assert response.status_code == 400
    assert "not a Fider or Canny CSV export" in response.content.decode()

    response = upload(admin_client, "image.csv", b"\xff\xd8\xff\xe0binary")
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()

    settings.IMPORT_MAX_UPLOAD_MB = 0
    response = upload(admin_client, "generic.csv", (FILES / "generic.csv").read_bytes())
    assert response.status_code == 400
    assert "over 0 MB" in response.content.decode()
    assert not ImportRun.objects.exists() and not Post.objects.exists()


def test_a_mapping_to_a_status_that_is_gone_is_refused(admin_client: Client) -> None:
    response = upload(admin_client, "generic.csv", (FILES / "generic.csv").read_bytes())
    url = response["Location"]
    page = admin_client.get(url).content.decode()
    fields = re.findall(r'<select name="(status_\d)"', page)
    response = admin_client.post(url, dict.fromkeys(fields, "99999"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert ImportRun.objects.get().state == RunState.PLANNED
    assert not Post.objects.exists()
