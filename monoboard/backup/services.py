"""Backups: one archive holding the database, the uploaded files and a manifest.

``backup_create`` copies the database while the site keeps serving: SQLite
through its online backup API (one step, a consistent snapshot; WAL readers
never block writers), PostgreSQL through ``pg_dump`` in custom format inside
an exported ``REPEATABLE READ`` snapshot. The manifest's per-table counts and
checksums are taken from the same snapshot, so ``backup_restore`` can prove
that what it restored is what was backed up. See docs/backups.md.

Archive layout (a gzip-compressed tar):

    format.json          {"format": "monoboard-backup", "version": 1}
    database.sqlite3     or database.pgdump (pg_dump --format=custom)
    media/<name>         each uploaded file the rows point at
    manifest.json        version, time, database kind, tables, files, checksums
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO, TextIOBase
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, transaction
from tqdm import tqdm

from monoboard.backup.snapshot import (
    BackupError,
    TableSum,
    alias_for,
    all_tables,
    applied_migrations,
    copy_hashing,
    database_kind,
    direct_url,
    existing,
    file_sha256,
    has_site_data,
    media_names,
    postgres_url_settings,
    put_media,
    site_database,
    sqlite_file_settings,
    storage_kind,
    table_sum,
    unknown_migrations,
)
from monoboard.ops.sitecopy import TableCheck, format_checks

FORMAT = "monoboard-backup"
FORMAT_VERSION = 1
PREFIX = "monoboard-backup-"
SUFFIX = ".tar.gz"
DB_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PG_TIMEOUT_S = 6 * 3600


def app_version() -> str:
    try:
        return version("monoboard")
    except PackageNotFoundError:
        return "0.1.0"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreResult:
    checks: list[TableCheck]
    files_written: int


# --- helpers --------------------------------------------------------------------------


def _say(out: TextIOBase | None, text: str) -> None:
    if out is not None:
        out.write(text + "\n")


def _pg_env_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the environment."""
    parts = dj_database_url.parse(url)
    args = ["--host", str(parts.get("HOST") or "127.0.0.1"), "--dbname", str(parts["NAME"])]
    if parts.get("PORT"):
        args += ["--port", str(parts["PORT"])]
    if parts.get("USER"):
        args += ["--username", str(parts["USER"])]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parts.get("PASSWORD"):
        env["PGPASSWORD"] = str(parts["PASSWORD"])
    return args, env


def pg_tool(name: str) -> str:
    folder = str(getattr(settings, "BACKUP_PG_BIN_DIR", "") or "")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise BackupError(
            f"{name} is not installed (PostgreSQL's client tools); set BACKUP_PG_BIN_DIR "
            "to their folder"
        )
    return found


def _run_pg(argv: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603 - fixed tool, arguments built here
        argv, env=env, capture_output=True, text=True, check=False, timeout=PG_TIMEOUT_S
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-3000:]}")


def _sums(alias: str, out: TextIOBase | None, progress: bool) -> dict[str, dict[str, Any]]:
    tables = existing(all_tables(), alias)
    sums: dict[str, dict[str, Any]] = {}
    for model in tqdm(tables, desc="checksums", unit="table", disable=not progress, file=out):
        sums[model._meta.db_table] = table_sum(model, alias).as_json()
    return sums


# --- backup -----------------------------------------------------------------------------


def default_name(now: dt.datetime) -> str:
    return f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"


def backup_create(
    *,
    directory: Path | None = None,
    path: Path | None = None,
    include_media: bool = True,
    progress: bool = False,
    out: TextIOBase | None = None,
) -> BackupResult:
    """Write a backup archive of the running site; return where and its manifest."""
    now = dt.datetime.now(dt.UTC)
    if path is None:
        folder = Path(directory or settings.BACKUP_DIR)
        path = folder / default_name(now)
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise BackupError(f"{path} exists already; choose another name")
    config = site_database()
    kind = database_kind(config)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=path.parent) as work:
        db_file = Path(work) / DB_MEMBERS[kind]
        _say(out, f"Copying the {kind} database...")
        if kind == "sqlite":
            tables, migrations, names = _copy_sqlite(Path(config["NAME"]), db_file, out, progress)
        else:
            tables, migrations, names = _dump_postgres(db_file, out, progress)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": app_version(),
            "created_at": now.isoformat(),
            "database": {
                "kind": kind,
                "file": db_file.name,
                "bytes": db_file.stat().st_size,
                "sha256": file_sha256(db_file),
            },
            "migrations": migrations,
            "tables": tables,
            "media": {"storage": storage_kind(), "included": include_media, "files": {}},
        }
        partial = path.with_name(path.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
                _add_bytes(tar, "format.json", {"format": FORMAT, "version": FORMAT_VERSION})
                tar.add(db_file, arcname=db_file.name)
                if include_media:
                    manifest["media"]["files"], manifest["media"]["missing"] = _add_media(
                        tar, names, out, progress
                    )
                _add_bytes(tar, "manifest.json", manifest)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    _say(out, f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB).")
    return BackupResult(path, manifest)


def _copy_sqlite(
    source: Path, target: Path, out: TextIOBase | None, progress: bool
) -> tuple[dict[str, Any], dict[str, list[str]], list[str]]:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, under one read snapshot;
        # the site's writers go on (WAL), and nothing they commit meanwhile
        # is half in the copy.
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()
    with alias_for(sqlite_file_settings(target)) as alias:
        tables = _sums(alias, out, progress)
        return tables, applied_migrations(alias), media_names(alias)


def _dump_postgres(
    target: Path, out: TextIOBase | None, progress: bool
) -> tuple[dict[str, Any], dict[str, list[str]], list[str]]:
    url = direct_url()  # never through PgBouncer: the snapshot is session state
    args, env = _pg_env_args(url)
    with (
        alias_for(postgres_url_settings(url, repeatable_read=True)) as alias,
        transaction.atomic(using=alias),
    ):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone() or ("",)
        # pg_dump reads the same snapshot as the checksums below.
        _run_pg(
            [
                pg_tool("pg_dump"),
                *args,
                "--format=custom",
                "--compress=6",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(target),
            ],
            env,
            "pg_dump",
        )
        tables = _sums(alias, out, progress)
        return tables, applied_migrations(alias), media_names(alias)


def _add_bytes(tar: tarfile.TarFile, name: str, data: dict[str, Any]) -> None:
    raw = json.dumps(data, indent=1, sort_keys=True).encode()
    info = tarfile.TarInfo(name)
    info.size = len(raw)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, BytesIO(raw))


def _add_media(
    tar: tarfile.TarFile, names: list[str], out: TextIOBase | None, progress: bool
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    files: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for name in tqdm(names, desc="files", unit="file", disable=not progress, file=out):
        try:
            size = default_storage.size(name)
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            missing.append(name)  # deleted since the snapshot (a cleanup job)
            continue
        with handle, tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            got, sha = copy_hashing(handle, spool)
            spool.seek(0)
            info = tarfile.TarInfo(f"media/{name}")
            info.size = got
            info.mode = 0o600
            tar.addfile(info, spool)
        files[name] = {"bytes": got, "sha256": sha, "listed_bytes": size}
    return files, missing


# --- restore ----------------------------------------------------------------------------


@contextlib.contextmanager
def opened_archive(archive: Path, work: Path) -> Iterator[dict[str, Any]]:
    """Unpack ``archive`` into ``work`` and check it; yield its manifest."""
    if not archive.is_file():
        raise BackupError(f"no archive at {archive}")
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(work, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"{archive} is not a readable backup archive (damaged or not a backup): {exc}"
        ) from exc
    try:
        header = json.loads((work / "format.json").read_text())
        manifest = json.loads((work / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{archive} is not a monoboard backup: no format or manifest") from exc
    if header.get("format") != FORMAT or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a monoboard backup (format {header.get('format')!r})")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            f"{archive} was written by a newer monoboard (backup format "
            f"{manifest['format_version']}); upgrade first"
        )
    db_file = work / manifest["database"]["file"]
    if not db_file.is_file() or file_sha256(db_file) != manifest["database"]["sha256"]:
        raise BackupError(f"{archive} is damaged: the database file's checksum does not match")
    for name, meta in manifest["media"]["files"].items():
        stored = work / "media" / name
        if not stored.is_file() or file_sha256(stored) != meta["sha256"]:
            raise BackupError(f"{archive} is damaged: the file {name} does not match its checksum")
    unknown = unknown_migrations(manifest["migrations"])
    if unknown:
        raise BackupError(
            f"{archive} comes from a newer monoboard (migrations {', '.join(unknown[:3])}); "
            "upgrade this installation before restoring it"
        )
    yield manifest


def backup_restore(
    *,
    archive: Path,
    target_url: str = "",
    force: bool = False,
    progress: bool = False,
    out: TextIOBase | None = None,
) -> RestoreResult:
    """Restore ``archive`` into the site's database (or ``target_url``) and its storage.

    Refuses a target that holds a site (users, boards or posts) unless
    ``force``, an archive of another database kind, and a damaged archive.
    Verifies every table against the manifest afterwards.
    """
    archive = archive.resolve()
    if target_url:
        scheme = urlsplit(target_url).scheme
        if scheme in {"sqlite", "sqlite3"}:
            config = sqlite_file_settings(Path(dj_database_url.parse(target_url)["NAME"]))
        elif scheme in {"postgres", "postgresql", "pgsql"}:
            config = postgres_url_settings(target_url)
        else:
            raise BackupError(f"--target must be a sqlite:/// or postgres:// URL, not {scheme!r}")
    else:
        config = site_database()
    kind = database_kind(config)
    work_parent = Path(config["NAME"]).parent if kind == "sqlite" else None
    with (
        tempfile.TemporaryDirectory(prefix=".restore-", dir=work_parent) as work_dir,
        opened_archive(archive, Path(work_dir)) as manifest,
    ):
        work = Path(work_dir)
        if manifest["database"]["kind"] != kind:
            raise BackupError(
                f"this is a backup of a {manifest['database']['kind']} site and the target is "
                f"{kind}; move between databases with exportsite/importsite or copysite"
            )
        db_file = work / manifest["database"]["file"]
        if kind == "sqlite":
            _restore_sqlite(db_file, Path(config["NAME"]), force=force, out=out)
        else:
            _restore_postgres(db_file, target_url or direct_url(), force=force, out=out)
        check_config = sqlite_file_settings(Path(config["NAME"])) if kind == "sqlite" else config
        with alias_for(check_config, "backup_restored") as alias:
            checks = _verify(manifest["tables"], alias, out, progress)
        written = 0
        if manifest["media"]["included"]:
            names = sorted(manifest["media"]["files"])
            for name in tqdm(names, desc="files", unit="file", disable=not progress, file=out):
                with (work / "media" / name).open("rb") as source:
                    written += put_media(name, source, manifest["media"]["files"][name]["sha256"])
    _say(out, format_checks(checks))
    if not all(c.ok for c in checks):
        raise BackupError("the restored database differs from the backup's manifest")
    _say(out, f"Restored {len(checks)} tables and {written} files from {archive.name}.")
    return RestoreResult(checks, written)


def _verify(
    expected: dict[str, dict[str, Any]], alias: str, out: TextIOBase | None, progress: bool
) -> list[TableCheck]:
    by_table = {m._meta.db_table: m for m in existing(all_tables(), alias)}
    checks = []
    for table in tqdm(sorted(expected), desc="verify", disable=not progress, file=out):
        want = expected[table]
        got = table_sum(by_table[table], alias) if table in by_table else TableSum(-1, "missing")
        checks.append(TableCheck(table, want["rows"], got.rows, want["sha256"], got.sha256))
    return checks


def _restore_sqlite(source: Path, target: Path, *, force: bool, out: TextIOBase | None) -> None:
    if target.exists() and not force:
        with alias_for(sqlite_file_settings(target), "backup_target") as alias:
            if has_site_data(alias):
                raise BackupError(
                    f"{target} holds a site already (users, boards or posts); restoring would "
                    "replace it. Stop the site and pass --force to replace it."
                )
    _say(out, f"Restoring the database into {target}...")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # The backup API writes every page of the target under its write lock:
        # other connections see the old database or the restored one.
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def _restore_postgres(source: Path, url: str, *, force: bool, out: TextIOBase | None) -> None:
    with alias_for(postgres_url_settings(url), "backup_target") as alias:
        tables = connections[alias].introspection.table_names()
        if tables and has_site_data(alias) and not force:
            raise BackupError(
                "the target database holds a site already (users, boards or posts); "
                "restoring would replace it. Pass --force to replace it."
            )
    args, env = _pg_env_args(url)
    clean = ["--clean", "--if-exists"] if tables else []
    _say(out, "Restoring the database with pg_restore...")
    _run_pg(
        [
            pg_tool("pg_restore"),
            *args,
            *clean,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(source),
        ],
        env,
        "pg_restore",
    )


# --- retention ----------------------------------------------------------------------------


def backups_in(directory: Path) -> list[Path]:
    """This folder's backups, oldest first (their names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def backups_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``directory``; the deleted paths."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    found = backups_in(directory)
    doomed = found[:-keep] if len(found) > keep else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
