"""Full-site export and import: a database-neutral archive of a site's content.

The archive is a zip file:

    manifest.json            format, version, time, source database, groups,
                             and per table its columns, row count and checksum
    tables/<table>.jsonl     one JSON array of column values per row, by primary key
    media/<name>             each uploaded file the rows point at

Values are JSON: text, numbers, booleans and null as they are; times in ISO
8601 with their offset; decimals and UUIDs as text; bytes in base64; JSON
columns as JSON. The checksums are ``copysite``'s (``ops/sitecopy.py``),
taken on the source while exporting and on the target after importing, so
equal checksums mean nothing was lost, whichever database each side runs on.

What is exported is a list of table groups (``GROUPS``): a group names an app
and the models of it that are content (not queues, logs or caches). A new
app's content is exported by adding its group; a group whose app is not
installed is skipped, and an archive's group unknown to the importing code
is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import TextIOBase, TextIOWrapper
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.utils.duration import duration_iso_string
from tqdm import tqdm

from monoboard.backup.services import app_version
from monoboard.backup.snapshot import (
    BackupError,
    alias_for,
    all_tables,
    applied_migrations,
    copy_hashing,
    database_kind,
    has_site_data,
    media_names,
    postgres_url_settings,
    put_media,
    row_bytes,
    site_database,
    sqlite_file_settings,
    table_sum,
)
from monoboard.ops.sitecopy import TableCheck, _batches, format_checks, reset_sequences

FORMAT = "monoboard-export"
FORMAT_VERSION = 1
BATCH = 2000


@dataclass(frozen=True)
class Group:
    """Content tables of one app: ``models`` by name, or every model but ``exclude``."""

    name: str
    app_label: str
    models: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


#: What a full export holds. Append a group to export a new app's content.
GROUPS: tuple[Group, ...] = (
    Group("users", "accounts", models=("company", "user", "apikey")),
    Group("boards", "boards"),  # settings, statuses, tags, boards, posts, votes, comments...
    Group("notifications", "notifications", models=("preference", "subscription", "notification")),
    Group("webhooks", "webhooks", models=("endpoint",)),
    Group("changelog", "changelog"),
)


@dataclass(frozen=True)
class ImportResult:
    checks: list[TableCheck]
    files_written: int


def group_models(group: Group) -> list[type[models.Model]]:
    try:
        config = apps.get_app_config(group.app_label)
    except LookupError:
        return []
    chosen = [
        m
        for m in config.get_models()
        if (not group.models or m._meta.model_name in group.models)
        and m._meta.model_name not in group.exclude
    ]
    return chosen


def exported_models() -> dict[str, list[type[models.Model]]]:
    """Group name -> its tables in foreign-key order, with the many-to-many tables
    whose both ends are exported."""
    picked = {g.name: group_models(g) for g in GROUPS}
    everything = {m for ms in picked.values() for m in ms}
    owner = {m: name for name, ms in picked.items() for m in ms}
    for model in all_tables():
        if model._meta.auto_created and model not in everything:
            ends = [f.related_model for f in model._meta.local_concrete_fields if f.related_model]
            if ends and all(e in everything for e in ends):
                group = owner[ends[0]]
                picked[group].append(model)
                everything.add(model)
    order = {m: i for i, m in enumerate(all_tables())}
    return {name: sorted(ms, key=lambda m: order[m]) for name, ms in picked.items() if ms}


# --- values ---------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise BackupError(f"cannot export a value of type {type(value).__name__}")


def decode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


# --- export -----------------------------------------------------------------------------------


def site_export(
    *,
    path: Path,
    include_media: bool = True,
    progress: bool = False,
    out: TextIOBase | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Write the site's content to ``path`` from one read snapshot; return the manifest.

    ``on_progress(phase, done, total)`` is called as rows, then files, are written.
    """
    report = on_progress or (lambda phase, done, total: None)
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} exists already; choose another name")
    config = site_database()
    kind = database_kind(config)
    snapshot = (
        sqlite_file_settings(Path(config["NAME"]))
        if kind == "sqlite"
        else postgres_url_settings(_pg_url(), repeatable_read=True)
    )
    groups = exported_models()
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            alias_for(snapshot, "export_snapshot") as alias,
            transaction.atomic(using=alias),
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        ):
            total = sum(m._base_manager.using(alias).count() for ms in groups.values() for m in ms)
            tables: dict[str, Any] = {}
            with tqdm(total=total, unit="row", disable=not progress, file=out) as bar:
                for models_ in groups.values():
                    for model in models_:
                        bar.set_description(model._meta.db_table)
                        tables[model._meta.db_table] = _export_table(
                            model, alias, zf, bar, lambda n: report("rows", n, total)
                        )
                report("rows", total, total)
            files: dict[str, Any] = {}
            missing: list[str] = []
            if include_media:
                names = media_names(alias)
                for done, name in enumerate(
                    tqdm(names, desc="files", unit="file", disable=not progress, file=out)
                ):
                    if done % 20 == 0:
                        report("files", done, len(names))
                    try:
                        source = default_storage.open(name, "rb")
                    except (FileNotFoundError, OSError):
                        missing.append(name)
                        continue
                    with source, zf.open(f"media/{name}", "w", force_zip64=True) as target:
                        size, sha = copy_hashing(source, target)
                    files[name] = {"bytes": size, "sha256": sha}
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": app_version(),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "source_database": kind,
                "migrations": applied_migrations(alias),
                "groups": {name: [m._meta.db_table for m in ms] for name, ms in groups.items()},
                "tables": tables,
                "media": {"included": include_media, "files": files, "missing": missing},
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    if out is not None:
        rows = sum(t["rows"] for t in tables.values())
        out.write(f"Exported {len(tables)} tables, {rows} rows, {len(files)} files to {path}.\n")
    return manifest


def _pg_url() -> str:
    from monoboard.backup.snapshot import direct_url

    return direct_url()


def _export_table(
    model: type[models.Model],
    alias: str,
    zf: zipfile.ZipFile,
    bar: tqdm[Any],
    report: Callable[[int], None],
) -> dict[str, Any]:
    fields = list(model._meta.local_concrete_fields)
    digest = hashlib.sha256()
    count = 0
    with zf.open(f"tables/{model._meta.db_table}.jsonl", "w", force_zip64=True) as raw:
        text = TextIOWrapper(raw, encoding="utf-8", newline="\n")
        for rows in _batches(model, alias, BATCH):
            for row in rows:
                digest.update(row_bytes(row))
                text.write(json.dumps([encode(v) for v in row], ensure_ascii=False) + "\n")
            count += len(rows)
            bar.update(len(rows))
            report(int(bar.n))
        text.flush()
        text.detach()
    return {"columns": [f.column for f in fields], "rows": count, "sha256": digest.hexdigest()}


# --- import ------------------------------------------------------------------------------------


def read_manifest(zf: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError(f"{name} is not a monoboard export: no manifest") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{name} is not a monoboard export (format {manifest.get('format')!r})")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(f"{name} was written by a newer monoboard; upgrade first")
    return manifest


def site_import(
    *, path: Path, batch_size: int = 1000, progress: bool = False, out: TextIOBase | None = None
) -> ImportResult:
    """Import an export archive into this site, which must hold no site yet.

    Migrates the database first, then, in one transaction, empties the
    exported tables (the statuses a migration seeds), inserts every row,
    moves the id sequences past them and checks every table against the
    manifest; any difference rolls it all back. Then the files and the
    search index.
    """
    path = path.resolve()
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path} is not a readable export archive: {exc}") from exc
    with zf:
        manifest = read_manifest(zf, path.name)
        known = exported_models()
        unknown = [g for g in manifest["groups"] if g not in known]
        if unknown:
            raise BackupError(
                f"{path.name} holds table groups this monoboard does not have: "
                f"{', '.join(unknown)}; upgrade first"
            )
        bad = zf.testzip()
        if bad is not None:
            raise BackupError(f"{path.name} is damaged: {bad} fails its CRC check")
        if out is not None:
            out.write("Migrating the database...\n")
        call_command("migrate", "--no-input", verbosity=0)
        if has_site_data(DEFAULT_DB_ALIAS):
            raise BackupError(
                "this site is not empty (it has users, boards or posts); import into a new, "
                "empty site"
            )
        by_table = {m._meta.db_table: m for ms in known.values() for m in ms}
        chosen = [by_table[t] for g in manifest["groups"].values() for t in g]
        order = {m: i for i, m in enumerate(all_tables())}
        chosen.sort(key=lambda m: order[m])
        try:
            checks = _import_rows(zf, manifest, chosen, batch_size, progress, out)
        except IntegrityError as exc:
            raise BackupError(
                f"the archive's rows do not fit together ({exc}); nothing was kept"
            ) from exc
        written = 0
        files = manifest["media"]["files"]
        for name in tqdm(sorted(files), desc="files", unit="file", disable=not progress, file=out):
            with zf.open(f"media/{name}") as source:
                written += put_media(name, source, files[name]["sha256"])
    if out is not None:
        out.write("Rebuilding the search index...\n")
    call_command("reindex", "--no-progress", stdout=out)
    return ImportResult(checks, written)


def _import_rows(
    zf: zipfile.ZipFile,
    manifest: dict[str, Any],
    chosen: list[type[models.Model]],
    batch_size: int,
    progress: bool,
    out: TextIOBase | None,
) -> list[TableCheck]:
    """Empty ``chosen``, insert the archive's rows and check them, in one transaction.

    Foreign keys are checked before the checksums (SQLite and PostgreSQL would
    otherwise only refuse at commit, without saying which row); any problem
    raises and rolls everything back.
    """
    total = sum(manifest["tables"][m._meta.db_table]["rows"] for m in chosen)
    with transaction.atomic():
        _empty(chosen)
        with tqdm(total=total, unit="row", disable=not progress, file=out) as bar:
            for model in chosen:
                bar.set_description(model._meta.db_table)
                _import_table(model, manifest["tables"][model._meta.db_table], zf, batch_size, bar)
        reset_sequences(DEFAULT_DB_ALIAS, chosen)
        connections[DEFAULT_DB_ALIAS].check_constraints(
            table_names=[m._meta.db_table for m in chosen]
        )
        checks = [
            _check(m, manifest["tables"][m._meta.db_table])
            for m in tqdm(chosen, desc="verify", disable=not progress, file=out)
        ]
        if out is not None:
            out.write(format_checks(checks) + "\n")
        if not all(c.ok for c in checks):
            raise BackupError("the imported tables differ from the archive; nothing was kept")
    return checks


def _empty(chosen: list[type[models.Model]]) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(quote(m._meta.db_table) for m in chosen)
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for model in reversed(chosen):
                cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")  # noqa: S608


def _rows(zf: zipfile.ZipFile, table: str) -> Iterator[list[Any]]:
    with zf.open(f"tables/{table}.jsonl") as raw:
        for line in TextIOWrapper(raw, encoding="utf-8"):
            yield json.loads(line)


def _import_table(
    model: type[models.Model],
    meta: dict[str, Any],
    zf: zipfile.ZipFile,
    batch_size: int,
    bar: tqdm[Any],
) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    by_column = {f.column: f for f in model._meta.local_concrete_fields}
    missing = [c for c in meta["columns"] if c not in by_column]
    if missing:
        raise BackupError(f"{model._meta.db_table}: the archive has unknown columns {missing}")
    fields = [by_column[c] for c in meta["columns"]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        bar.update(len(batch))
        batch.clear()

    for number, row in enumerate(_rows(zf, model._meta.db_table), start=1):
        try:
            batch.append(
                tuple(
                    f.get_db_prep_save(decode(f, v), connection=connection)
                    for f, v in zip(fields, row, strict=True)
                )
            )
        except (ValueError, TypeError, ValidationError) as exc:
            raise BackupError(f"{model._meta.db_table} line {number}: bad value ({exc})") from exc
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()


def _check(model: type[models.Model], meta: dict[str, Any]) -> TableCheck:
    got = table_sum(model, DEFAULT_DB_ALIAS)
    return TableCheck(model._meta.db_table, meta["rows"], got.rows, meta["sha256"], got.sha256)


def default_export_name() -> str:
    return f"monoboard-export-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.zip"


def export_dir() -> Path:
    return Path(settings.BACKUP_DIR)
