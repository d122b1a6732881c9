"""Reading a site from one consistent snapshot: connections, table checksums, files.

Backups and exports read the site through a connection alias of their own, so
the snapshot never holds the write lock the site's writers need: on SQLite a
``DEFERRED`` read transaction (WAL readers never block writers), on
PostgreSQL a ``REPEATABLE READ`` transaction. Table checksums are those of
``copysite`` (``ops/sitecopy.py``): the same rows give the same checksum on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, models
from django.db.migrations.recorder import MigrationRecorder

from monoboard.lib.database import postgres_database, sqlite_database
from monoboard.ops.sitecopy import _batches, _normalise, copied_models, database_alias

SNAPSHOT_ALIAS = "backup_snapshot"
BATCH = 2000
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup, restore, export or import cannot go on; the message says why."""


@dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.sha256}


# --- which database ----------------------------------------------------------------


def database_kind(config: dict[str, Any]) -> str:
    engine = str(config["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"unsupported database engine {engine}")


def site_database() -> dict[str, Any]:
    """The site's database settings; on PostgreSQL the direct (not pooled) URL."""
    config = dict(settings.DATABASES["default"])
    if database_kind(config) == "postgresql":
        return postgres_url_settings(direct_url())
    return config


def direct_url() -> str:
    url = str(getattr(settings, "DATABASE_DIRECT_URL", "") or settings.DATABASE_URL)
    if not url:
        raise BackupError("DATABASE_URL is not set")
    return url


def postgres_url_settings(url: str, *, repeatable_read: bool = False) -> dict[str, Any]:
    config = postgres_database(url, pool_mode="none")
    config["CONN_MAX_AGE"] = 0
    if repeatable_read:
        config["OPTIONS"]["isolation_level"] = psycopg.IsolationLevel.REPEATABLE_READ
    return config


def sqlite_file_settings(path: Path) -> dict[str, Any]:
    config = sqlite_database(path, busy_timeout_s=30)
    # Only reads: a snapshot that never takes the write lock.
    config["OPTIONS"]["transaction_mode"] = "DEFERRED"
    config["CONN_MAX_AGE"] = 0
    return config


@contextlib.contextmanager
def alias_for(config: dict[str, Any], name: str = SNAPSHOT_ALIAS) -> Iterator[str]:
    with database_alias(name, config) as alias:
        yield alias


# --- tables and checksums ----------------------------------------------------------


def all_tables() -> list[type[models.Model]]:
    """Every table-backed model, parents first (what a backup checks)."""
    return copied_models()


def table_sum(model: type[models.Model], alias: str) -> TableSum:
    digest = hashlib.sha256()
    count = 0
    for rows in _batches(model, alias, BATCH):
        for row in rows:
            digest.update(row_bytes(row))
        count += len(rows)
    return TableSum(count, digest.hexdigest())


def row_bytes(row: Sequence[Any]) -> bytes:
    """One row as ``copysite`` feeds it to its checksum."""
    return "\x1f".join(_normalise(v) for v in row).encode() + b"\x1e"


def existing(models_: Sequence[type[models.Model]], alias: str) -> list[type[models.Model]]:
    names = set(connections[alias].introspection.table_names())
    return [m for m in models_ if m._meta.db_table in names]


def applied_migrations(alias: str) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return {}
    applied: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def unknown_migrations(applied: dict[str, list[str]]) -> list[str]:
    """Migrations an archive's site had that this code does not know (a newer version)."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}"
        for app, names in applied.items()
        for name in names
        if (app, name) not in known
    ]


def has_site_data(alias: str) -> bool:
    """Whether a database holds a site: any user, board or post."""
    names = set(connections[alias].introspection.table_names())
    with connections[alias].cursor() as cursor:
        for table in ("accounts_user", "boards_board", "boards_post"):
            if table in names:
                cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - fixed names
                if cursor.fetchone():
                    return True
    return False


# --- uploaded files ------------------------------------------------------------------


def media_names(alias: str) -> list[str]:
    """Names in the default storage that the site's rows point at.

    Attachments (image and thumbnail) and the branding files. Taken through
    the storage API, so the same code reads the file system and S3.
    """
    from monoboard.boards.models import Attachment, SiteSettings

    names: set[str] = set()
    for file_name, thumb_name in Attachment.objects.using(alias).values_list(
        "file_name", "thumb_name"
    ):
        names.update(n for n in (file_name, thumb_name) if n)
    for logo, favicon in SiteSettings.objects.using(alias).values_list("logo", "favicon"):
        names.update(n for n in (logo, favicon) if n)
    return sorted(names)


def storage_kind() -> str:
    backend = str(settings.STORAGES["default"]["BACKEND"])
    return "s3" if "s3" in backend.lower() else "filesystem"


def copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def put_media(name: str, source: IO[bytes], sha256: str) -> bool:
    """Store one file under exactly ``name``; False when an equal file is there already."""
    from django.core.files import File

    if default_storage.exists(name):
        with default_storage.open(name, "rb") as current:
            digest = hashlib.sha256()
            while chunk := current.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() == sha256:
            return False
        default_storage.delete(name)
    saved = default_storage.save(name, File(source, name=name))
    if saved != name:
        raise BackupError(f"the storage saved {name} as {saved}")
    return True
