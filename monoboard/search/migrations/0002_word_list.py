"""SQLite: a list of known title words with a trigram index, for typo tolerance.

Replaces the trigram index over whole titles: correcting the typed words and
then matching whole words stays fast at any number of posts, where a trigram
OR-query over 100k titles did not. PostgreSQL is unchanged (pg_trgm).
"""

from __future__ import annotations

import re

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

UP = [
    "DROP TABLE IF EXISTS search_title_tri_vocab",
    "DROP TABLE IF EXISTS search_title_tri",
    "CREATE TABLE search_word (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE search_word_tri USING fts5(word, tokenize = 'trigram')",
]
DOWN = [
    "DROP TABLE IF EXISTS search_word_tri",
    "DROP TABLE IF EXISTS search_word",
    "CREATE VIRTUAL TABLE search_title_tri USING fts5(title, tokenize = 'trigram')",
    "CREATE VIRTUAL TABLE search_title_tri_vocab USING fts5vocab('search_title_tri', 'row')",
    "INSERT INTO search_title_tri (rowid, title) SELECT id, title FROM boards_post WHERE is_listed",
]
_WORD = re.compile(r"\w+")


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in UP:
        schema_editor.execute(statement)
    words: set[str] = set()
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT title FROM boards_post WHERE is_listed")
        for (title,) in cur.fetchall():
            words |= {w.lower() for w in _WORD.findall(title) if 3 <= len(w) <= 40}
        cur.executemany("INSERT INTO search_word (word) VALUES (%s)", [(w,) for w in sorted(words)])
        cur.execute("INSERT INTO search_word_tri (rowid, word) SELECT id, word FROM search_word")


def drop(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DOWN:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_tables")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
