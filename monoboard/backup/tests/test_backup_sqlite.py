"""`manage.py backup` / `restore` on a stage-1 (SQLite) site, and the recurring backup.

.venv/bin/pytest -p no:cacheprovider -q monoboard/backup/tests/test_backup_sqlite.py
"""

from __future__ import annotations

import gzip
import json
import sys
import tarfile
import time
from pathlib import Path

import pytest

from monoboard.backup.tests.sites import (
    POSTS,
    USERS,
    WRITER,
    background,
    build_site,
    get,
    get_json,
    manage,
    media_files,
    served,
    site_env,
    sqlite_rows,
)

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded SQLite site's data folder (shared: tests only read it, or copy it)."""
    data = tmp_path_factory.mktemp("site-a")
    build_site(site_env(data))
    return data


def read_manifest(archive: Path) -> dict[str, object]:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest: dict[str, object] = json.load(member)
    return manifest


def test_backup_while_writing_is_consistent(site: Path, tmp_path: Path) -> None:
    """A writer keeps adding posts and votes during the backup: the archive is one
    consistent moment (the restore's checksums match the manifest taken with it),
    and the site never stopped taking writes."""
    env = site_env(site)
    stop = tmp_path / "stop"
    archive = tmp_path / "live.tar.gz"
    (before,) = sqlite_rows(site / "monoboard.sqlite3", "SELECT count(*) FROM boards_post")[0]
    assert isinstance(before, int)
    log = tmp_path / "writer.log"
    with background([sys.executable, "-c", WRITER, str(stop)], env, log=log) as writer:
        deadline = time.monotonic() + 60
        while "writing" not in log.read_text():
            assert writer.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        done = manage(env, "backup", "--output", str(archive), "--no-progress")
        stop.touch()
        assert writer.wait(timeout=60) == 0, log.read_text()
    written = int(log.read_text().split()[-1])
    assert written > 0
    assert "Backed up" in done.stdout

    manifest = read_manifest(archive)
    assert manifest["format"] == "monoboard-backup"
    database = manifest["database"]
    assert isinstance(database, dict) and database["kind"] == "sqlite"
    tables = manifest["tables"]
    assert isinstance(tables, dict)
    in_backup = int(tables["boards_post"]["rows"])
    assert before <= in_backup <= before + written

    restored = tmp_path / "site-r"
    out = manage(site_env(restored), "restore", str(archive), "--no-progress").stdout
    assert "all equal." in out and "MISMATCH" not in out
    db = restored / "monoboard.sqlite3"
    assert sqlite_rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert sqlite_rows(db, "SELECT count(*) FROM boards_post") == [(in_backup,)]


def test_restored_site_serves_what_the_original_served(site: Path, tmp_path: Path) -> None:
    """Back up, restore into a new folder, serve both over HTTP: the API answers the
    same boards, posts, comments, roadmap and tags, and the images are the same
    bytes; every table's count and checksum equal the original's (the restore's
    check against the manifest)."""
    archive = tmp_path / "a.tar.gz"
    manage(site_env(site), "backup", "--output", str(archive), "--no-progress")
    restored = tmp_path / "site-b"
    env_b = site_env(restored)
    out = manage(env_b, "restore", str(archive), "--no-progress").stdout
    assert "all equal." in out
    assert media_files(restored) == media_files(site)
    assert len(media_files(site)) == 4  # two images and their thumbnails

    with (
        served(site_env(site), tmp_path / "a.log") as port_a,
        served(env_b, tmp_path / "b.log") as port_b,
    ):
        for path in (
            "/api/v1/boards",
            "/api/v1/boards/feature-requests/posts",
            "/api/v1/posts/2",
            "/api/v1/posts/2/comments",
            "/api/v1/roadmap",
            "/api/v1/tags",
        ):
            assert get_json(port_a, path) == get_json(port_b, path), path
        post = get_json(port_b, "/api/v1/posts/2")
        assert isinstance(post, dict) and post["title"].startswith("Idea number 1")
        keys = [
            k
            for (k,) in sqlite_rows(
                restored / "monoboard.sqlite3", "SELECT key FROM boards_attachment"
            )
        ]
        assert len(keys) == 2
        for key in keys:
            a, b = get(port_a, f"/attachments/{key}/"), get(port_b, f"/attachments/{key}/")
            assert a == b and a[0] == 200 and b[1].startswith(b"\x89PNG")
    for sql in ("SELECT count(*) FROM accounts_user", "SELECT count(*) FROM boards_post"):
        assert sqlite_rows(restored / "monoboard.sqlite3", sql) == sqlite_rows(
            site / "monoboard.sqlite3", sql
        )
    assert sqlite_rows(restored / "monoboard.sqlite3", "SELECT count(*) FROM accounts_user") == [
        (USERS,)
    ]


def test_restore_refuses_a_site_unless_forced(site: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    env = site_env(site)
    manage(env, "backup", "--output", str(archive), "--no-progress")
    other = tmp_path / "other"
    other_env = site_env(other)
    build_site(other_env)
    manage(
        other_env,
        "shell",
        "-c",
        "from monoboard.boards.models import Post; Post.objects.filter(pk=1).delete()",
    )
    refused = manage(other_env, "restore", str(archive), "--no-progress", ok=False)
    assert "holds a site already" in refused.stderr and "--force" in refused.stderr
    assert sqlite_rows(other / "monoboard.sqlite3", "SELECT count(*) FROM boards_post") == [
        (POSTS - 1,)
    ]
    forced = manage(other_env, "restore", str(archive), "--force", "--no-progress")
    assert "all equal." in forced.stdout
    sql = "SELECT count(*) FROM boards_post"
    assert sqlite_rows(other / "monoboard.sqlite3", sql) == sqlite_rows(
        site / "monoboard.sqlite3", sql
    )


def test_restore_refuses_damaged_and_foreign_archives(site: Path, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    manage(site_env(site), "backup", "--output", str(archive), "--no-progress")
    target = tmp_path / "t"
    env = site_env(target)

    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert (
        "not a readable backup archive" in manage(env, "restore", str(truncated), ok=False).stderr
    )

    # A well-formed archive whose database file was changed after the manifest.
    tampered = tmp_path / "tampered.tar.gz"
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    with (unpacked / "database.sqlite3").open("r+b") as raw:
        raw.seek(4096 + 100)
        raw.write(b"\xff\xfe")
    with tarfile.open(tampered, "w:gz") as tar:
        for name in ("format.json", "database.sqlite3", "media", "manifest.json"):
            tar.add(unpacked / name, arcname=name)
    assert "damaged" in manage(env, "restore", str(tampered), ok=False).stderr

    foreign = tmp_path / "foreign.tar.gz"
    with gzip.open(foreign, "wb") as handle:
        handle.write(b"hello")
    assert "not a readable backup archive" in manage(env, "restore", str(foreign), ok=False).stderr
    assert "no archive" in manage(env, "restore", str(tmp_path / "nope"), ok=False).stderr
    db = target / "monoboard.sqlite3"
    assert not db.exists() or not sqlite_rows(db, "SELECT name FROM sqlite_master")


def test_the_recurring_backup_keeps_the_newest(site: Path, tmp_path: Path) -> None:
    """BACKUP_EVERY_HOURS registers the job; the worker runs it; BACKUP_KEEP prunes."""
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"monoboard-backup-2020010{i}-000000.tar.gz" for i in range(1, 4)]
    for path in old:
        path.write_bytes(b"old")
    (folder / "notes.txt").write_text("not a backup: kept")
    env = site_env(site, BACKUP_EVERY_HOURS="24", BACKUP_KEEP="2", BACKUP_DIR=str(folder))
    manage(env, "runworker", "--batch", timeout=180)
    left = sorted(p.name for p in folder.iterdir())
    assert left[0] == old[-1].name and left[-1] == "notes.txt" and len(left) == 3
    newest = folder / left[1]
    assert newest.name.startswith("monoboard-backup-2026") or newest.name > old[-1].name
    assert read_manifest(newest)["database"]["kind"] == "sqlite"  # type: ignore[index]
