"""Copy a stage-1 SQLite site into an empty PostgreSQL database, and prove it.

The steps (``copy_site``): open both databases under their own connection
aliases, refuse a target that already has tables, migrate the target, empty
the rows that migrations and ``post_migrate`` created there, copy every
table of every installed app in foreign-key order (models and the
many-to-many tables Django creates for them, found through the app
registry, so tables added by any app come along), reset PostgreSQL's
sequences, then compare row counts and checksums table by table, and
finally rebuild the search index on the target (its tables are not models
and differ per database, so they are rebuilt rather than copied).

Rows are read and written through Django's fields, so values are converted
the way Django itself stores them on each database (booleans, aware
datetimes, JSON). Checksums hash each row's values, normalised to text, in
primary-key order; both sides are read the same way, so equal checksums
mean equal data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from io import TextIOBase
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from tqdm import tqdm

from monoboard.lib.database import postgres_database, sqlite_database

SOURCE_ALIAS = "sitecopy_source"
TARGET_ALIAS = "sitecopy_target"
CHILD_TIMEOUT_S = 3600


class SiteCopyError(Exception):
    """The copy cannot start or did not verify; the message says why."""


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_sum: str
    target_sum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sum == self.target_sum


# --- connections -------------------------------------------------------------


def source_settings(url: str) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "sqlite3"}:
        raise SiteCopyError(f"--source must be a sqlite:/// URL, not {scheme or url!r}")
    path = Path(dj_database_url.parse(url)["NAME"])
    if not path.is_file():
        raise SiteCopyError(f"no SQLite database at {path}")
    config = sqlite_database(path, busy_timeout_s=30)
    # A deferred transaction only reads: a consistent snapshot without taking
    # the write lock a live site's writers need.
    config["OPTIONS"]["transaction_mode"] = "DEFERRED"
    return config


def target_settings(url: str) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SiteCopyError(f"--target must be a postgres:// URL, not {scheme or url!r}")
    config = postgres_database(url, pool_mode="none")
    config["CONN_MAX_AGE"] = 0
    return config


@contextlib.contextmanager
def database_alias(alias: str, config: dict[str, Any]) -> Iterator[str]:
    """Register ``config`` as connection ``alias`` for the duration."""
    if alias in connections.settings:
        raise ImproperlyConfigured(f"connection alias {alias!r} is already in use")
    filled = connections.configure_settings({"default": config})["default"]
    connections.settings[alias] = filled
    try:
        yield alias
    finally:
        with contextlib.suppress(Exception):
            connections[alias].close()
        with contextlib.suppress(AttributeError):
            del connections[alias]
        del connections.settings[alias]


# --- what to copy ---------------------------------------------------------------


def copied_models() -> list[type[models.Model]]:
    """Every table-backed model of every installed app, in foreign-key order.

    Includes the auto-created many-to-many tables. Parents come before the
    tables that point at them; cycles (and self references) are left in
    registry order, which is safe because PostgreSQL checks Django's foreign
    keys at commit and the copy is one transaction.
    """
    candidates = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]
    pending = {model: _dependencies(model, set(candidates)) for model in candidates}
    ordered: list[type[models.Model]] = []
    while pending:
        ready = [model for model, deps in pending.items() if not deps - set(ordered)]
        if not ready:  # a cycle: take the first remaining model
            ready = [next(iter(pending))]
        for model in ready:
            ordered.append(model)
            del pending[model]
    return ordered


def _dependencies(
    model: type[models.Model], known: set[type[models.Model]]
) -> set[type[models.Model]]:
    deps: set[type[models.Model]] = set()
    for field in model._meta.local_concrete_fields:
        related = getattr(field, "related_model", None)
        if isinstance(related, type) and related is not model and related in known:
            deps.add(related)
    return deps


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.local_concrete_fields)


# --- copy ----------------------------------------------------------------------------


def check_target_empty(alias: str) -> None:
    tables = connections[alias].introspection.table_names()
    if tables:
        shown = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
        raise SiteCopyError(
            f"the target database is not empty: it has {len(tables)} tables ({shown}). "
            "Copy into a newly created, empty database."
        )


def check_source_migrated(alias: str) -> None:
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise SiteCopyError(
            f"the source has {len(plan)} unapplied migrations ({names}); run "
            "`manage.py migrate` on the source site with this version first."
        )


def run_on_target(url: str, *command: str) -> str:
    """Run ``manage.py <command>`` in a child process whose database is the target.

    A child process's default database is the target, so anything that writes
    through ``Model.objects`` without ``.using(alias)`` (data migrations, the
    search backends) writes to the target, never to this process's default
    database. Returns the command's output; raises SiteCopyError on failure.
    """
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DB_POOL": "none",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "monoboard.settings"),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(settings.BASE_DIR), os.environ.get("PYTHONPATH")])
        ),
    }
    result = subprocess.run(  # noqa: S603 - fixed commands from this module
        [sys.executable, "-m", "django", *command],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=CHILD_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise SiteCopyError(
            f"`{command[0]}` on the target failed:\n{result.stderr.strip()[-3000:]}"
        )
    return result.stdout


def migrate_target(url: str, alias: str, tables: Sequence[type[models.Model]]) -> None:
    """Create the schema, then drop the rows migrations and post_migrate added."""
    run_on_target(url, "migrate", "--no-input", "-v", "0")
    connection = connections[alias]
    existing = set(connection.introspection.table_names())
    names = [m._meta.db_table for m in tables if m._meta.db_table in existing]
    if names:
        quoted = ", ".join(connection.ops.quote_name(n) for n in names)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def rebuild_search(url: str) -> str:
    """Build the target's search index from the copied posts.

    The search tables are not models and differ per database (FTS5 on
    SQLite, a tsvector table on PostgreSQL), so they are rebuilt, not copied.
    """
    # The target serves nothing yet, and its event log must stay equal to the source's.
    return run_on_target(url, "reindex", "--no-progress", "--no-event").strip()


def _batches(
    model: type[models.Model], alias: str, batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of ``model`` on ``alias`` as tuples of column values, by primary key."""
    fields = _columns(model)
    names = [f.attname for f in fields]
    pk_name = model._meta.pk.attname if model._meta.pk else names[0]
    manager = model._base_manager.using(alias)
    last: Any = None
    while True:
        query = manager.order_by(pk_name)
        if last is not None:
            query = query.filter(**{f"{pk_name}__gt": last})
        rows = list(query.values_list(*names)[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1][names.index(pk_name)]
        if len(rows) < batch_size:
            return


def copy_table(
    model: type[models.Model], *, source: str, target: str, batch_size: int, bar: tqdm[Any]
) -> int:
    connection = connections[target]
    fields = _columns(model)
    quote = connection.ops.quote_name
    # Identifiers come from the model registry and are quoted; values are parameters.
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    copied = 0
    for rows in _batches(model, source, batch_size):
        prepared = [
            tuple(
                field.get_db_prep_save(value, connection=connection)
                for field, value in zip(fields, row, strict=True)
            )
            for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
        copied += len(rows)
        bar.update(len(rows))
    return copied


def reset_sequences(alias: str, tables: Sequence[type[models.Model]]) -> None:
    connection = connections[alias]
    statements = connection.ops.sequence_reset_sql(no_style(), list(tables))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- verify --------------------------------------------------------------------------


def _normalise(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        moment: dt.datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        return moment.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return repr(value.total_seconds())
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def table_digest(model: type[models.Model], alias: str, batch_size: int) -> tuple[int, str]:
    """(row count, sha256 of the normalised rows in primary-key order)."""
    digest = hashlib.sha256()
    count = 0
    for rows in _batches(model, alias, batch_size):
        for row in rows:
            digest.update("\x1f".join(_normalise(v) for v in row).encode())
            digest.update(b"\x1e")
        count += len(rows)
    return count, digest.hexdigest()


def verify(
    tables: Sequence[type[models.Model]], *, source: str, target: str, batch_size: int
) -> list[TableCheck]:
    checks = []
    for model in tables:
        source_rows, source_sum = table_digest(model, source, batch_size)
        target_rows, target_sum = table_digest(model, target, batch_size)
        checks.append(
            TableCheck(model._meta.db_table, source_rows, target_rows, source_sum, target_sum)
        )
    return checks


def format_checks(checks: Sequence[TableCheck]) -> str:
    width = max([len(c.table) for c in checks] + [5])
    lines = [
        f"{'table':<{width}}  {'source':>8}  {'target':>8}  {'checksum':<12}  result",
        f"{'-' * width}  {'-' * 8}  {'-' * 8}  {'-' * 12}  ------",
    ]
    for c in checks:
        shown = c.source_sum[:12] if c.ok else f"{c.source_sum[:5]}!={c.target_sum[:5]}"
        lines.append(
            f"{c.table:<{width}}  {c.source_rows:>8}  {c.target_rows:>8}  {shown:<12}  "
            f"{'ok' if c.ok else 'MISMATCH'}"
        )
    bad = sum(not c.ok for c in checks)
    total = sum(c.source_rows for c in checks)
    lines.append(
        f"{len(checks)} tables, {total} rows: "
        + ("all equal." if not bad else f"{bad} tables differ.")
    )
    return "\n".join(lines)


# --- the whole move ------------------------------------------------------------------


def copy_site(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = 1000,
    progress: bool = True,
    verify_only: bool = False,
    out: TextIOBase,
) -> list[TableCheck]:
    """Copy (unless ``verify_only``) and verify; raise SiteCopyError on any difference."""
    src_config, tgt_config = source_settings(source_url), target_settings(target_url)
    with database_alias(SOURCE_ALIAS, src_config), database_alias(TARGET_ALIAS, tgt_config):
        tables = copied_models()
        check_source_migrated(SOURCE_ALIAS)
        # One read transaction on the source: every table from the same snapshot.
        with transaction.atomic(using=SOURCE_ALIAS):
            if not verify_only:
                check_target_empty(TARGET_ALIAS)
                out.write(f"Migrating the target ({len(tables)} tables to copy)...\n")
                migrate_target(target_url, TARGET_ALIAS, tables)
                total = sum(model._base_manager.using(SOURCE_ALIAS).count() for model in tables)
                with (
                    transaction.atomic(using=TARGET_ALIAS),
                    tqdm(total=total, unit="row", disable=not progress, file=out) as bar,
                ):
                    for model in tables:
                        bar.set_description(model._meta.db_table)
                        copy_table(
                            model,
                            source=SOURCE_ALIAS,
                            target=TARGET_ALIAS,
                            batch_size=batch_size,
                            bar=bar,
                        )
                    reset_sequences(TARGET_ALIAS, tables)
            checks = verify(tables, source=SOURCE_ALIAS, target=TARGET_ALIAS, batch_size=batch_size)
    out.write(format_checks(checks) + "\n")
    if not all(c.ok for c in checks):
        raise SiteCopyError("verification failed: the target differs from the source")
    if not verify_only:
        out.write("Rebuilding the search index on the target...\n")
        out.write(rebuild_search(target_url) + "\n")
    return checks
