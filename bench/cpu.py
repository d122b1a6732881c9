"""CPU time used by a server and everything it started, read from /proc (Linux).

Latency on a shared 2-core machine moves with whatever else runs on it; the
CPU seconds a server spends per request do not, much. The benchmark reads
them before and after a measurement for the product (``manage.py serve`` and
its children, found by the site's data directory) and for PostgreSQL and PgBouncer (by their
pids), so that other servers on the machine are not counted.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of one process, or None once it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _argv(pid: int) -> list[str]:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def serve_processes(data_dir: str) -> list[int]:
    """Every ``manage.py serve`` process of the site in ``data_dir`` (one per instance).

    A benchmark gives each site its own MONOBOARD_DATA_DIR; the variable in a
    process's environment tells its site apart from any other on the machine.
    """
    wanted = f"MONOBOARD_DATA_DIR={data_dir}".encode()
    found = []
    for pid in _pids():
        if "serve" not in _argv(pid):
            continue
        try:
            environ = (PROC / str(pid) / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in environ:
            found.append(pid)
    return found


def tree_seconds(roots: list[int]) -> float:
    """CPU seconds of ``roots`` and all their living descendants.

    A process that exited during the measurement takes its time with it; the
    product's web workers and PostgreSQL's pooled backends live on, so the
    loss is small and the same for every run.
    """
    stats = {pid: s for pid in _pids() if (s := _stat(pid)) is not None}
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total
