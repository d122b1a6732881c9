"""Site exports an admin prepares and downloads from Settings → Export.

The export itself is :func:`monoboard.backup.exports.site_export`, run as a
job in the worker: it can take minutes on a large site, longer than a web
request may live. While it runs, a small progress file beside the archive
says how far it is; the page reads it. Finished archives stay in
``BACKUP_DIR`` until an admin deletes them. Names are the only thing a
request passes in, and only names this module makes are accepted, so no
path from a request ever reaches the file system.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from monoboard.backup.exports import default_export_name, export_dir
from monoboard.core.roles import require_admin
from monoboard.jobs.enqueue import enqueue_on_commit

if TYPE_CHECKING:
    from monoboard.core.roles import Actor

#: Archives this page made or ``manage.py exportsite`` made with its default name.
NAME = re.compile(r"^monoboard-export-\d{8}-\d{6}\.zip$")
#: A progress file not touched for this long belongs to a worker that died.
STALE_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Archive:
    name: str
    size: int
    created_at: dt.datetime


@dataclass(frozen=True)
class Preparing:
    name: str
    phase: str
    done: int
    total: int
    started_at: dt.datetime

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.done / self.total)) if self.total else 0


def _progress_file(name: str) -> Path:
    return export_dir() / f".{name}.progress.json"


def archives() -> list[Archive]:
    """Finished exports, newest first."""
    directory = export_dir()
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        if NAME.match(path.name) and path.is_file():
            stat = path.stat()
            when = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
            found.append(Archive(path.name, stat.st_size, when))
    return sorted(found, key=lambda a: a.created_at, reverse=True)


def archive_path(name: str) -> Path | None:
    """The file for ``name`` if it is a finished export; None otherwise."""
    if not NAME.match(name):
        return None
    path = export_dir() / name
    return path if path.is_file() else None


def preparing() -> Preparing | None:
    """The export being written now, if any (a dead worker's leftovers are ignored)."""
    directory = export_dir()
    if not directory.is_dir():
        return None
    now = dt.datetime.now(dt.UTC)
    for path in sorted(directory.glob(".monoboard-export-*.progress.json")):
        touched = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        if now - touched > STALE_AFTER:
            continue
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        return Preparing(
            name=str(state.get("name", "")),
            phase=str(state.get("phase", "")),
            done=int(state.get("done", 0)),
            total=int(state.get("total", 0)),
            started_at=dt.datetime.fromisoformat(state["started_at"]),
        )
    return None


def write_progress(name: str, *, phase: str, done: int, total: int, started_at: str) -> None:
    """Record how far the export of ``name`` is (atomically: the page never reads half)."""
    target = _progress_file(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    state = {"name": name, "phase": phase, "done": done, "total": total}
    partial.write_text(json.dumps({**state, "started_at": started_at}))
    os.replace(partial, target)


def clear_progress(name: str) -> None:
    _progress_file(name).unlink(missing_ok=True)


def export_request(*, actor: Actor, include_media: bool) -> str:
    """Queue an export for download; its archive's name. One at a time."""
    from monoboard.backup.tasks import export_for_download

    require_admin(actor)
    if preparing() is not None:
        raise ValidationError("An export is being prepared already; wait for it to finish.")
    name = default_export_name()
    started = dt.datetime.now(dt.UTC).isoformat()
    # Written now, so the page shows the export as queued before the worker starts it.
    write_progress(name, phase="queued", done=0, total=0, started_at=started)
    enqueue_on_commit(export_for_download, name, include_media, started)
    return name


def export_delete(*, actor: Actor, name: str) -> None:
    require_admin(actor)
    path = archive_path(name)
    if path is None:
        raise ValidationError("No such export.")
    path.unlink(missing_ok=True)
