"""Search tables, created for the database in use only.

SQLite gets FTS5 tables; PostgreSQL gets a document table with a stored
generated tsvector, a GIN index and a pg_trgm index. Neither is a Django model:
they are written and read only by monoboard.search.backends.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_post_fts USING fts5("
    "title, body, comments, tokenize = 'porter unicode61')",
    "CREATE VIRTUAL TABLE search_title_tri USING fts5(title, tokenize = 'trigram')",
    "CREATE VIRTUAL TABLE search_title_tri_vocab USING fts5vocab('search_title_tri', 'row')",
    # Posts that exist already (an upgraded site) are searchable at once.
    "INSERT INTO search_post_fts (rowid, title, body, comments)"
    " SELECT p.id, p.title, p.body, coalesce((SELECT group_concat(c.body, char(10))"
    " FROM boards_comment c WHERE c.post_id = p.id AND c.deleted_at IS NULL), '')"
    " FROM boards_post p WHERE p.is_listed",
    "INSERT INTO search_title_tri (rowid, title) SELECT id, title FROM boards_post WHERE is_listed",
]
SQLITE_DOWN = [
    "DROP TABLE IF EXISTS search_title_tri_vocab",
    "DROP TABLE IF EXISTS search_title_tri",
    "DROP TABLE IF EXISTS search_post_fts",
]
# No foreign key to boards_post: Django's test flush truncates that table alone,
# and a stale row is harmless (queries join to boards_post; reindex clears it).
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE TABLE search_pg_document (
        post_id bigint PRIMARY KEY,
        title text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        comments text NOT NULL DEFAULT '',
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A')
            || setweight(to_tsvector('english', body), 'B')
            || setweight(to_tsvector('english', comments), 'C')
        ) STORED
    )
    """,
    "CREATE INDEX search_pg_document_gin ON search_pg_document USING gin (document)",
    "CREATE INDEX search_pg_document_title_trgm ON search_pg_document"
    " USING gin (title gin_trgm_ops)",
    "INSERT INTO search_pg_document (post_id, title, body, comments)"
    " SELECT p.id, p.title, p.body, coalesce((SELECT string_agg(c.body, E'\\n')"
    " FROM boards_comment c WHERE c.post_id = p.id AND c.deleted_at IS NULL), '')"
    " FROM boards_post p WHERE p.is_listed",
]
POSTGRES_DOWN = ["DROP TABLE IF EXISTS search_pg_document"]

_BY_VENDOR = {"sqlite": (SQLITE_UP, SQLITE_DOWN), "postgresql": (POSTGRES_UP, POSTGRES_DOWN)}


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    up, _ = _BY_VENDOR.get(schema_editor.connection.vendor, ([], []))
    _run(schema_editor, up)


def drop(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _, down = _BY_VENDOR.get(schema_editor.connection.vendor, ([], []))
    _run(schema_editor, down)


class Migration(migrations.Migration):
    dependencies = [("boards", "0002_seed_statuses")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
