"""stage 2's first start: it says so when a stage-1 site would be left behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monoboard.ops.stage2copy import advice, sqlite_counts

SOURCE = Path("/srv/monoboard/var/monoboard.sqlite3")
TARGET = "postgres://monoboard:pw@127.0.0.1:25432/monoboard"


def test_an_empty_stage2_beside_a_stage1_site_names_the_copy_command() -> None:
    said = advice(source=SOURCE, people=2, posts=7, target_tables=0, target_url=TARGET, copy=False)
    assert not said.copy
    assert "EMPTY" in said.message and "new first admin" in said.message
    assert "2 people, 7 posts" in said.message
    assert "STAGE2_COPY=1 make stage2" in said.message
    assert f"manage.py copysite --source sqlite:///{SOURCE} --target {TARGET}" in said.message


def test_copies_only_when_asked_and_only_into_an_empty_database() -> None:
    asked = advice(source=SOURCE, people=1, posts=0, target_tables=0, target_url=TARGET, copy=True)
    assert asked.copy and "copying" in asked.message
    full = advice(source=SOURCE, people=1, posts=0, target_tables=40, target_url=TARGET, copy=True)
    assert not full.copy and "not empty" in full.message


def test_silent_without_a_stage1_site_or_once_stage2_has_its_tables() -> None:
    for people, posts, tables in ((0, 0, 0), (3, 9, 40)):
        said = advice(
            source=SOURCE,
            people=people,
            posts=posts,
            target_tables=tables,
            target_url=TARGET,
            copy=False,
        )
        assert said == advice(
            source=SOURCE, people=0, posts=0, target_tables=0, target_url=TARGET, copy=False
        )
        assert not said.message and not said.copy


def test_sqlite_counts(tmp_path: Path) -> None:
    assert sqlite_counts(tmp_path / "missing.sqlite3") == (0, 0)
    path = tmp_path / "site.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts_user (id integer)")
        db.execute("CREATE TABLE boards_post (id integer)")
        db.executemany("INSERT INTO boards_post VALUES (?)", [(1,), (2,)])
        db.execute("INSERT INTO accounts_user VALUES (1)")
    assert sqlite_counts(path) == (1, 2)
    (tmp_path / "empty.sqlite3").touch()
    assert sqlite_counts(tmp_path / "empty.sqlite3") == (0, 0)
