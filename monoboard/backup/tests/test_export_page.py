"""Settings → Export: an admin prepares a full export, follows it, downloads and deletes it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from monoboard.backup import downloads
from monoboard.backup.tests.sites import POSTS, build_site, python, site_env


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.BACKUP_DIR = tmp_path / "exports"
    return Path(settings.BACKUP_DIR)


# Run inside a real site's process (its own SQLite file, as a person's site):
# the admin's clicks through Django's test client, the job by the worker's own
# code, the archive read back from the download. Prints one JSON line.
JOURNEY = """
import io, json, zipfile, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
settings.STORAGES["staticfiles"] = {"BACKEND": plain}
from monoboard.accounts.models import User
from monoboard.backup import downloads
from monoboard.jobs.worker import Worker, WorkerConfig

admin = User.objects.filter(role="admin").first()
client = Client()
client.force_login(admin)
seen = {"form": 'data-testid="export-form"' in client.get("/settings/export/").content.decode()}
queued = client.post("/settings/export/", {"include_media": "on"}, follow=True).content.decode()
seen["queued"] = "Waiting for the jobs worker" in queued and 'http-equiv="refresh"' in queued
again = client.post("/settings/export/", {"include_media": "on"})
seen["second"] = [again.status_code, "being prepared already" in again.content.decode()]
worker = Worker(WorkerConfig(queues=["*"]), worker_id="export-test")
from django_tasks_db.models import DBTaskResult
before = DBTaskResult.objects.filter(task_path__endswith="export_for_download").count()
while worker.work_once():
    pass
seen["jobs"] = before
page = client.get("/settings/export/").content.decode()
seen["progress_after"] = 'data-testid="export-progress"' in page
(archive,) = downloads.archives()
seen["listed"] = f'href="/settings/export/{archive.name}"' in page
download = client.get(f"/settings/export/{archive.name}")
seen["download"] = [
    download.status_code, download["Content-Disposition"], download["Cache-Control"]
]
seen["name"] = archive.name
with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as zf:
    manifest = json.loads(zf.read("manifest.json"))
    seen["post_lines"] = len(zf.read("tables/boards_post.jsonl").decode().splitlines())
    seen["media_in_zip"] = sorted(n for n in zf.namelist() if n.startswith("media/"))
seen["manifest_posts"] = manifest["tables"]["boards_post"]["rows"]
seen["media_files"] = sorted(manifest["media"]["files"])
deleted = client.post(f"/settings/export/{archive.name}/delete/", follow=True)
gone = downloads.archives() == []
seen["deleted"] = [f"Deleted {archive.name}." in deleted.content.decode(), gone]
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_an_admin_prepares_an_export_follows_it_and_downloads_it(tmp_path: Path) -> None:
    env = site_env(tmp_path / "site", BACKUP_DIR=str(tmp_path / "exports"))
    build_site(env)
    seen = json.loads(python(env, JOURNEY).strip().splitlines()[-1])
    assert seen["form"] and seen["queued"]
    assert seen["second"] == [400, True]  # one export at a time, refused with the reason
    assert seen["jobs"] == 1  # the refused second request queued nothing
    assert seen["progress_after"] is False and seen["listed"]
    name = seen["name"]
    assert seen["download"] == [200, f'attachment; filename="{name}"', "private, no-store"]
    assert seen["post_lines"] == seen["manifest_posts"] == POSTS
    assert seen["media_files"] and seen["media_in_zip"] == [
        f"media/{n}" for n in seen["media_files"]
    ]
    assert seen["deleted"] == [True, True]


@pytest.mark.django_db
def test_the_page_shows_how_far_a_running_export_is(admin_client: Client) -> None:
    downloads.write_progress(
        "monoboard-export-20261203-120000.zip",
        phase="rows",
        done=50,
        total=200,
        started_at="2026-12-03T12:00:00+00:00",
    )
    html = admin_client.get("/settings/export/").content.decode()
    assert "Rows: 50 of 200" in html
    assert '<progress id="export-progress-bar" max="100" value="25">' in html
    assert 'data-testid="export-form"' not in html


@pytest.mark.django_db
def test_a_dead_workers_leftover_progress_does_not_block_a_new_export(
    admin_client: Client, export_dir: Path
) -> None:
    name = "monoboard-export-20261203-120000.zip"
    downloads.write_progress(
        name, phase="rows", done=1, total=9, started_at="2026-12-03T12:00:00+00:00"
    )
    old = time.time() - downloads.STALE_AFTER.total_seconds() - 60
    os.utime(export_dir / f".{name}.progress.json", (old, old))
    assert downloads.preparing() is None
    response = admin_client.post("/settings/export/", {})
    assert response.status_code == 302
    assert downloads.preparing() is not None


@pytest.mark.django_db
def test_only_admins_see_prepare_download_or_delete_exports(
    client: Client, member_client: Client, export_dir: Path
) -> None:
    export_dir.mkdir(parents=True)
    name = "monoboard-export-20261203-120000.zip"
    (export_dir / name).write_bytes(b"PK")
    for path, method in (
        ("/settings/export/", "get"),
        ("/settings/export/", "post"),
        (f"/settings/export/{name}", "get"),
        (f"/settings/export/{name}/delete/", "post"),
    ):
        assert getattr(member_client, method)(path).status_code == 403, path
        visitor = getattr(client, method)(path)
        assert visitor.status_code == 302 and "/accounts/signin/" in visitor["Location"], path
    assert (export_dir / name).exists()
    assert downloads.preparing() is None


@pytest.mark.django_db
def test_only_export_archives_can_be_downloaded_or_deleted(
    admin_client: Client, export_dir: Path, settings: Any
) -> None:
    export_dir.mkdir(parents=True)
    (export_dir / "monoboard-backup-20261203-120000.tar.gz").write_bytes(b"x")
    (export_dir.parent / "secret.txt").write_text("no")
    for name in (
        "monoboard-backup-20261203-120000.tar.gz",
        "..%2Fsecret.txt",
        "monoboard-export-20261203-120000.zip",  # not there
        ".monoboard-export-20261203-120000.zip.progress.json",
    ):
        assert admin_client.get(f"/settings/export/{name}").status_code == 404, name
        assert admin_client.post(f"/settings/export/{name}/delete/").status_code == 404, name
    assert (export_dir / "monoboard-backup-20261203-120000.tar.gz").exists()
