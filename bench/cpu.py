"""CPU time used by a server and everything it started, read from /proc (Linux).

Latency on a shared 2-core machine moves with whatever else runs on it; the
CPU seconds a server spends per request do not, much. The benchmark reads
them before and after a measurement for the product (``manage.py serve`` and
its children, found by its port) and for PostgreSQL and PgBouncer (by their
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


def serve_processes(port: int) -> list[int]:
    """The ``manage.py serve --port <port>`` process (the root of the product's tree)."""
    return [
        pid
        for pid in _pids()
        if "serve" in (argv := _argv(pid)) and "--port" in argv and str(port) in argv
    ]


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
