"""`manage.py exportsite` / `importsite`: SQLite → archive → PostgreSQL → archive → SQLite.

.venv/bin/pytest -p no:cacheprovider -q monoboard/backup/tests/test_exportsite.py
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from monoboard.backup.tests.sites import (
    POSTS,
    USERS,
    build_site,
    manage,
    media_files,
    site_env,
    sqlite_rows,
)
from monoboard.testing import fixtures
from monoboard.testing.servers import PostgresServer

pg_server = fixtures.pg_server
pytestmark = [pytest.mark.slow]

CONTENT = (
    "accounts_company",
    "accounts_user",
    "boards_board",
    "boards_post",
    "boards_vote",
    "boards_comment",
    "boards_status",
    "boards_statuschange",
    "boards_tag",
    "boards_post_tags",
    "boards_attachment",
)


def manifest_of(archive: Path) -> dict[str, dict[str, object]]:
    with zipfile.ZipFile(archive) as zf:
        manifest: dict[str, dict[str, object]] = json.loads(zf.read("manifest.json"))
    return manifest


def sums(archive: Path) -> dict[str, tuple[object, object]]:
    tables = manifest_of(archive)["tables"]
    return {name: (t["rows"], t["sha256"]) for name, t in tables.items()}  # type: ignore[index]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("export-a")
    build_site(site_env(data))
    return data


@pytest.fixture(scope="module")
def exported(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "a.zip"
    out = manage(site_env(site), "exportsite", "--output", str(path)).stdout
    assert "Exported" in out
    return path


def test_round_trip_sqlite_postgres_sqlite_loses_nothing(
    site: Path, exported: Path, pg_server: PostgresServer, tmp_path: Path
) -> None:
    manifest = manifest_of(exported)
    assert manifest["format"] == "monoboard-export"  # type: ignore[comparison-overlap]
    assert set(CONTENT) <= set(manifest["tables"])
    assert "boards" in manifest["groups"] and "users" in manifest["groups"]
    assert manifest["tables"]["boards_post"]["rows"] == POSTS  # type: ignore[index]
    assert len(manifest["media"]["files"]) == 4  # type: ignore[arg-type]

    pg_server.psql(f'CREATE DATABASE "export_target" OWNER "{pg_server.user}"')
    try:
        url = pg_server.url("export_target")
        env_pg = site_env(tmp_path / "pg", url)
        into_pg = manage(env_pg, "importsite", str(exported)).stdout
        assert "all equal." in into_pg and "MISMATCH" not in into_pg
        assert "postgres" in into_pg  # the search index rebuilt by its PostgreSQL backend
        assert "%|" in into_pg or "row/s" in into_pg  # progress was shown
        back = tmp_path / "b.zip"
        manage(env_pg, "exportsite", "--output", str(back), "--no-progress")
    finally:
        pg_server.psql('DROP DATABASE IF EXISTS "export_target" WITH (FORCE)')
    assert sums(back) == sums(exported)

    again = tmp_path / "c"
    env_c = site_env(again)
    into_sqlite = manage(env_c, "importsite", str(back), "--no-progress").stdout
    assert "all equal." in into_sqlite
    final = tmp_path / "c.zip"
    manage(env_c, "exportsite", "--output", str(final), "--no-progress")
    assert sums(final) == sums(exported)
    assert media_files(again) == media_files(site)
    for table in CONTENT:
        sql = f"SELECT * FROM {table} ORDER BY 1"  # noqa: S608
        assert sqlite_rows(again / "monoboard.sqlite3", sql) == sqlite_rows(
            site / "monoboard.sqlite3", sql
        ), table
    # The imported site works: a new post takes the next id, and search finds old ones.
    shell = (
        "from monoboard.boards import services as s;"
        "from monoboard.boards.models import Board;"
        "from monoboard.accounts.models import User;"
        "from monoboard.search.selectors import search_posts;"
        "p = s.post_create(board=Board.objects.get(slug='feature-requests'),"
        " author=User.objects.get(email='user1@example.com'), title='After the import');"
        "print(p.pk);"
        "print(len(search_posts('markdown', viewer=None).results))"
    )
    new_id, found = manage(env_c, "shell", "-v", "0", "-c", shell).stdout.split()[-2:]
    assert int(new_id) > POSTS and int(found) > 0
    assert sqlite_rows(again / "monoboard.sqlite3", "SELECT count(*) FROM accounts_user") == [
        (USERS,)
    ]


def test_import_refuses_a_site_that_is_not_empty(site: Path, exported: Path) -> None:
    refused = manage(site_env(site), "importsite", str(exported), ok=False)
    assert "not empty" in refused.stderr
    assert sqlite_rows(site / "monoboard.sqlite3", "SELECT count(*) FROM boards_post") == [(POSTS,)]


def test_import_refuses_bad_archives_and_keeps_nothing(exported: Path, tmp_path: Path) -> None:
    target = tmp_path / "t"
    env = site_env(target)

    cut = tmp_path / "cut.zip"
    cut.write_bytes(exported.read_bytes()[:2000])
    assert "not a readable export archive" in manage(env, "importsite", str(cut), ok=False).stderr

    backup_like = tmp_path / "other.zip"
    with zipfile.ZipFile(backup_like, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else"}))
    assert "not a monoboard export" in manage(env, "importsite", str(backup_like), ok=False).stderr

    # A row with a value its column cannot take: a clear error, and the site stays empty.
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(bad, "w") as zf:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/boards_post.jsonl":
                lines = data.decode().splitlines()
                row = json.loads(lines[2])
                row = ["not a time" if isinstance(v, str) and v[:2] == "20" else v for v in row]
                lines[2] = json.dumps(row)
                data = ("\n".join(lines) + "\n").encode()
            zf.writestr(item, data)
    failed = manage(env, "importsite", str(bad), "--no-progress", ok=False)
    assert "boards_post line 3: bad value" in failed.stderr
    assert sqlite_rows(target / "monoboard.sqlite3", "SELECT count(*) FROM accounts_user") == [(0,)]
    # The seeded statuses a migration makes are still there: the transaction rolled back.
    assert sqlite_rows(target / "monoboard.sqlite3", "SELECT count(*) FROM boards_status") == [(5,)]


def test_rows_that_do_not_fit_together_are_refused_clearly(exported: Path, tmp_path: Path) -> None:
    """An archive whose users point at companies it lacks (as exports made before
    companies were exported do): one sentence, no traceback, nothing kept."""
    target = tmp_path / "t"
    partial = tmp_path / "no-companies.zip"
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(partial, "w") as zf:
        for item in source.infolist():
            if item.filename == "tables/accounts_company.jsonl":
                continue
            data = source.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["groups"]["users"].remove("accounts_company")
                del manifest["tables"]["accounts_company"]
                data = json.dumps(manifest).encode()
            zf.writestr(item, data)
    failed = manage(site_env(target), "importsite", str(partial), "--no-progress", ok=False)
    assert "do not fit together" in failed.stderr and "nothing was kept" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert sqlite_rows(target / "monoboard.sqlite3", "SELECT count(*) FROM accounts_user") == [(0,)]
