"""Count and time every query of a request; remember the slow ones.

Django passes SQL with placeholders, so the text is already free of values;
long ``IN (%s, %s, ...)`` lists are folded so one statement shape has one
fingerprint whatever the list length.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import OperationalError

from monoboard.ops.metrics import instruments

_PLACEHOLDER_LIST = re.compile(r"\((?:\s*%s\s*,)+\s*%s\s*\)")
_WHITESPACE = re.compile(r"\s+")
_OWN_PACKAGE = "monoboard"
_SKIP_MODULES = ("monoboard.ops.metrics", "monoboard.lib")
_TAKES_WRITE_LOCK = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
_LOCK_WAIT_FLOOR_S = 0.002  # below this the lock was free; the time is the call itself


def normalize_sql(sql: str) -> str:
    sql = _PLACEHOLDER_LIST.sub("(...)", sql)
    return _WHITESPACE.sub(" ", sql).strip()


def fingerprint(normalized: str) -> str:
    return hashlib.sha256(normalized.encode()).hexdigest()[:16]


def calling_location() -> str:
    """The innermost frame in the product's own code that led to this query."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(_OWN_PACKAGE) and not module.startswith(_SKIP_MODULES):
            return f"{module}:{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


@dataclass
class SlowStatement:
    sql: str
    duration_ms: float
    location: str


@dataclass
class QueryLog:
    """Installed with ``connection.execute_wrapper`` for one request."""

    count: int = 0
    total_ms: float = 0.0
    lock_waits: int = 0
    lock_wait_ms: float = 0.0
    slow: list[SlowStatement] = field(default_factory=list)

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        except OperationalError as exc:
            if "locked" in str(exc):
                instruments.SQLITE_LOCK_TIMEOUTS.inc()
            raise
        finally:
            elapsed = time.perf_counter() - started
            if sql.startswith(_TAKES_WRITE_LOCK):
                # SQLite's BEGIN IMMEDIATE returns once this connection holds
                # the write lock: its duration is the wait for other writers.
                instruments.SQLITE_LOCK_WAIT.observe(elapsed)
                if elapsed >= _LOCK_WAIT_FLOOR_S:
                    self.lock_waits += 1
                    self.lock_wait_ms += elapsed * 1000
            self.count += 1
            self.total_ms += elapsed * 1000
            instruments.DB_TIME.observe(elapsed)
            if elapsed * 1000 >= settings.SLOW_QUERY_MS:
                instruments.SLOW_QUERIES.inc()
                self.slow.append(
                    SlowStatement(
                        normalize_sql(sql)[:4000], round(elapsed * 1000, 2), calling_location()
                    )
                )
