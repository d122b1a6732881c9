"""`manage.py copysite`: a seeded SQLite site moved into a throwaway PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from monoboard.testing import fixtures
from monoboard.testing.servers import PostgresServer

pg_server = fixtures.pg_server
pg_empty_database = fixtures.pg_empty_database
db_any_alias = fixtures.db_any_alias
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("db_any_alias")]

# Builds a stage-1 site the way people do: migrations, then the services.
SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from monoboard.accounts import services as accounts
from monoboard.boards import services as boards
from monoboard.boards.models import Status

pw = "correct horse 9!"
admin = accounts.first_admin_create(email="ada@example.com", password=pw, name="Ada")
people = [
    accounts.user_signup(email=f"user{i}@example.com", password=pw, name=f"Zoë {i}")
    for i in range(5)
]
features = boards.board_create(actor=admin, name="Feature requests", description="Ideas ✨")
private = boards.board_create(actor=admin, name="Internal", is_private=True)
tags = [boards.tag_save(actor=admin, name=n) for n in ("api", "mobile", "billing")]
posts = []
for i in range(12):
    board = features if i % 3 else private
    posts.append(boards.post_create(
        board=board, author=people[i % 5], title=f"Idea number {i} — ünïcode",
        body=f"Some **markdown** body {i}", tag_ids=[t.pk for t in tags[: i % 4]],
    ))
for i, post in enumerate(posts):
    for person in people[: i % 6]:
        boards.vote_toggle(post=post, user=person)
    boards.comment_create(post=post, author=people[(i + 1) % 5], body=f"Comment on {i}")
boards.post_create(board=features, author=admin, title="Tagged by the admin",
                   tag_ids=[t.pk for t in tags])
boards.post_set_status(post=posts[1], actor=admin, status=Status.objects.get(slug="planned"),
                       note="On the roadmap")
boards.post_merge(source=posts[4], target=posts[5], actor=admin)
"""

POSTS, USERS = 13, 6


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A seeded stage-1 SQLite site, built in a separate process; its URL."""
    directory = tmp_path_factory.mktemp("site")
    path = directory / "site.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "MONOBOARD_DATA_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    subprocess.run(
        [sys.executable, "-c", SEED], env=env, cwd=settings.BASE_DIR, check=True, timeout=120
    )
    return f"sqlite:///{path}"


def copysite(*args: str) -> str:
    out = StringIO()
    call_command("copysite", *args, "--no-progress", stdout=out)
    return out.getvalue()


def fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


@dataclass(frozen=True)
class Copied:
    target: str
    output: str


@pytest.fixture(scope="module")
def copied(
    sqlite_site: str, pg_server: PostgresServer, django_db_setup: None, django_db_blocker: Any
) -> Iterator[Copied]:
    """One copy of the seeded site, shared by the tests that only read it."""
    pg_server.psql(f'CREATE DATABASE "copied" OWNER "{pg_server.user}"')
    try:
        with django_db_blocker.unblock():
            output = copysite("--source", sqlite_site, "--target", pg_server.url("copied"))
        yield Copied(pg_server.url("copied"), output)
    finally:
        pg_server.psql('DROP DATABASE IF EXISTS "copied" WITH (FORCE)')


def test_copies_every_table_and_verifies(copied: Copied) -> None:
    assert "all equal." in copied.output
    assert "MISMATCH" not in copied.output
    for table in ("accounts_user", "boards_post", "boards_vote", "boards_post_tags"):
        assert f"\n{table} " in copied.output
    assert fetch(copied.target, "SELECT count(*) FROM boards_post") == [(POSTS,)]
    assert fetch(copied.target, "SELECT count(*) FROM accounts_user") == [(USERS,)]
    assert fetch(copied.target, "SELECT count(*) FROM boards_post_tags") == [(3,)]
    titles = fetch(copied.target, "SELECT title FROM boards_post ORDER BY id LIMIT 1")
    assert titles == [("Idea number 0 — ünïcode",)]


def test_search_index_is_rebuilt_on_the_target(copied: Copied) -> None:
    assert "Indexed " in copied.output and "postgres" in copied.output
    listed = fetch(copied.target, "SELECT count(*) FROM boards_post WHERE is_listed")
    assert fetch(copied.target, "SELECT count(*) FROM search_pg_document") == listed
    found = fetch(
        copied.target,
        "SELECT p.title FROM search_pg_document d JOIN boards_post p ON p.id = d.post_id"
        " WHERE d.document @@ websearch_to_tsquery('english', 'admin tagged')",
    )
    assert found == [("Tagged by the admin",)]


def test_sequences_continue_after_the_copied_rows(copied: Copied) -> None:
    (next_id,) = fetch(
        copied.target, "SELECT nextval(pg_get_serial_sequence('boards_post', 'id'))"
    )[0]
    (max_id,) = fetch(copied.target, "SELECT max(id) FROM boards_post")[0]
    assert isinstance(next_id, int) and isinstance(max_id, int)
    assert next_id == max_id + 1


def test_refuses_a_target_that_is_not_empty(sqlite_site: str, copied: Copied) -> None:
    with pytest.raises(CommandError, match="target database is not empty"):
        copysite("--source", sqlite_site, "--target", copied.target)


def test_a_tampered_target_fails_verification(sqlite_site: str, pg_empty_database: str) -> None:
    copysite("--source", sqlite_site, "--target", pg_empty_database)
    assert "all equal." in copysite(
        "--source", sqlite_site, "--target", pg_empty_database, "--verify-only"
    )
    with psycopg.connect(pg_empty_database, autocommit=True) as conn:
        conn.execute(
            "UPDATE boards_post SET title = 'Changed' WHERE id = (SELECT min(id) FROM boards_post)"
        )
        conn.execute("DELETE FROM boards_vote WHERE id = (SELECT max(id) FROM boards_vote)")

    out = StringIO()
    with pytest.raises(CommandError, match="verification failed"):
        call_command(
            "copysite",
            "--source", sqlite_site, "--target", pg_empty_database,
            "--verify-only", "--no-progress",
            stdout=out,
        )  # fmt: skip
    mismatched = [line.split()[0] for line in out.getvalue().splitlines() if "MISMATCH" in line]
    assert sorted(mismatched) == ["boards_post", "boards_vote"]


def test_rejects_a_missing_source_and_a_non_postgres_target(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    with pytest.raises(CommandError, match="no SQLite database"):
        copysite("--source", f"sqlite:///{tmp_path}/nope.sqlite3", "--target", pg_server.url())
    (tmp_path / "a.sqlite3").touch()
    with pytest.raises(CommandError, match="postgres://"):
        copysite("--source", f"sqlite:///{tmp_path}/a.sqlite3", "--target", "mysql://x@h/db")
