"""Which replicas may serve reads now: up, not too far behind, caught up with the client.

Each process checks each replica at most once every
``REPLICA_CHECK_INTERVAL_S`` on a connection of its own (one small query:
replay position and lag), from whichever request first finds the figure
stale; other requests meanwhile use the last figure. A replica that does not
answer within ``REPLICA_CONNECT_TIMEOUT_S`` counts as down until the next
check. Nothing here ever waits for a replica longer than that.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings

from monoboard.replicas.lsn import parse_lsn

log = logging.getLogger(__name__)

STATUS_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
    " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 END"
)


@dataclass(frozen=True)
class ReplicaStatus:
    alias: str
    up: bool
    replay_lsn: int = 0
    lag_ms: float = 0.0
    checked_at: float = 0.0
    error: str = ""

    def usable(self, *, position: int | None, max_lag_ms: float) -> bool:
        if not self.up or self.lag_ms > max_lag_ms:
            return False
        return position is None or self.replay_lsn >= position


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def _conninfo(alias: str) -> dict[str, Any]:
    from django.db import connections

    db = connections[alias].settings_dict  # the test mirror's name under tests
    return {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": db["NAME"],
        "connect_timeout": max(1, round(float(settings.REPLICA_CONNECT_TIMEOUT_S))),
        "autocommit": True,
    }


class _Checker:
    """The last status of one replica and the connection that measures it."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.status = ReplicaStatus(alias, up=False)
        self.lock = threading.Lock()
        self.conn: psycopg.Connection[Any] | None = None

    def current(self, now: float) -> ReplicaStatus:
        if now - self.status.checked_at < float(settings.REPLICA_CHECK_INTERVAL_S):
            return self.status
        # One thread measures; the others go on with the figure they have.
        if self.lock.acquire(blocking=False):
            try:
                self.status = self._measure()
            finally:
                self.lock.release()
        return self.status

    def _measure(self) -> ReplicaStatus:
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(**_conninfo(self.alias))
            timeout_ms = int(float(settings.REPLICA_CONNECT_TIMEOUT_S) * 1000)
            with self.conn.cursor() as cur:
                cur.execute(f"SET statement_timeout = {timeout_ms}")
                cur.execute(STATUS_SQL)
                row = cur.fetchone()
        except psycopg.Error as exc:
            if self.status.up:
                log.warning("replica %s is not answering, reads go elsewhere: %s", self.alias, exc)
            self.close()
            return ReplicaStatus(self.alias, up=False, checked_at=time.monotonic(), error=str(exc))
        if not row or not row[0] or row[1] is None:
            # Not in recovery (promoted, or a misconfigured URL): never read from it.
            return ReplicaStatus(
                self.alias, up=False, checked_at=time.monotonic(), error="not a replica"
            )
        if not self.status.up:
            log.info("replica %s serves reads", self.alias)
        return ReplicaStatus(
            self.alias,
            up=True,
            replay_lsn=parse_lsn(str(row[1])),
            lag_ms=max(0.0, float(row[2] or 0)),
            checked_at=time.monotonic(),
        )

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = None


_checkers: dict[str, _Checker] = {}
_checkers_lock = threading.Lock()


def _checker(alias: str) -> _Checker:
    checker = _checkers.get(alias)
    if checker is None:
        with _checkers_lock:
            checker = _checkers.setdefault(alias, _Checker(alias))
    return checker


def statuses() -> list[ReplicaStatus]:
    now = time.monotonic()
    return [_checker(alias).current(now) for alias in replica_aliases()]


def pick(position: int | None) -> str | None:
    """A replica that may serve a client whose last commit was at ``position``, or None."""
    max_lag = float(settings.REPLICA_MAX_LAG_MS)
    usable = [s.alias for s in statuses() if s.usable(position=position, max_lag_ms=max_lag)]
    return random.choice(usable) if usable else None  # noqa: S311  (load spreading)


def mark_down(alias: str, error: str) -> None:
    """A read on ``alias`` just failed: skip it until the next check."""
    checker = _checker(alias)
    checker.status = ReplicaStatus(alias, up=False, checked_at=time.monotonic(), error=error)


def reset() -> None:
    """Forget every figure (tests that start and stop replicas)."""
    with _checkers_lock:
        for checker in _checkers.values():
            checker.close()
        _checkers.clear()
