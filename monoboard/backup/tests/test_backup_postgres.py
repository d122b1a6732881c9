"""`manage.py backup` / `restore` on a stage-2 (PostgreSQL) site: pg_dump and pg_restore.

.venv/bin/pytest -p no:cacheprovider -q monoboard/backup/tests/test_backup_postgres.py
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from monoboard.backup.tests.sites import (
    POSTS,
    build_site,
    get,
    get_json,
    manage,
    media_files,
    served,
    site_env,
)
from monoboard.testing import fixtures
from monoboard.testing.servers import PostgresServer

pg_server = fixtures.pg_server
pytestmark = [pytest.mark.slow]


def count(url: str, table: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


def new_database(server: PostgresServer, name: str) -> str:
    server.psql(f'CREATE DATABASE "{name}" OWNER "{server.user}"')
    return server.url(name)


@pytest.fixture(scope="module")
def pg_site(
    pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, str], Path]]:
    """A seeded site on PostgreSQL (its files in a data folder): (environment, folder)."""
    data = tmp_path_factory.mktemp("pg-site")
    url = new_database(pg_server, "backup_source")
    env = site_env(data, url)
    build_site(env)
    try:
        yield env, data
    finally:
        pg_server.psql('DROP DATABASE IF EXISTS "backup_source" WITH (FORCE)')


@pytest.fixture
def archive(pg_site: tuple[dict[str, str], Path], tmp_path: Path) -> Path:
    env, _ = pg_site
    path = tmp_path / "pg.tar.gz"
    out = manage(env, "backup", "--output", str(path), "--no-progress").stdout
    assert "Backed up" in out
    with tarfile.open(path) as tar:
        assert "database.pgdump" in tar.getnames()
    return path


def test_restore_into_an_empty_database_serves_the_same_site(
    pg_server: PostgresServer,
    pg_site: tuple[dict[str, str], Path],
    archive: Path,
    tmp_path: Path,
) -> None:
    env_a, data_a = pg_site
    url = new_database(pg_server, "backup_restored")
    try:
        env_b = site_env(tmp_path / "b", url)
        out = manage(env_b, "restore", str(archive), "--no-progress").stdout
        assert "all equal." in out and "MISMATCH" not in out
        assert count(url, "boards_post") == POSTS
        assert media_files(tmp_path / "b") == media_files(data_a)
        # The id sequences go on after the restored rows.
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT nextval(pg_get_serial_sequence('boards_post', 'id')) > max(id)"
                " FROM boards_post"
            ).fetchone()
        assert row == (True,)
        with (
            served(env_a, tmp_path / "a.log") as port_a,
            served(env_b, tmp_path / "b.log") as port_b,
        ):
            for path in ("/api/v1/boards/feature-requests/posts", "/api/v1/posts/2/comments"):
                assert get_json(port_a, path) == get_json(port_b, path), path
            found = get_json(port_b, "/api/v1/search?q=markdown")
            assert found, "the search index came back with the dump"
            assert get(port_b, "/readyz")[0] == 200

        refused = manage(env_b, "restore", str(archive), "--no-progress", ok=False)
        assert "holds a site already" in refused.stderr
        forced = manage(env_b, "restore", str(archive), "--force", "--no-progress")
        assert "all equal." in forced.stdout
        assert count(url, "boards_post") == POSTS
    finally:
        pg_server.psql('DROP DATABASE IF EXISTS "backup_restored" WITH (FORCE)')


def test_a_postgres_backup_is_refused_by_a_sqlite_site(archive: Path, tmp_path: Path) -> None:
    refused = manage(site_env(tmp_path / "s"), "restore", str(archive), ok=False)
    assert "backup of a postgresql site and the target is sqlite" in refused.stderr
    assert "exportsite" in refused.stderr
