"""Which database errors answer 503 rather than 500 (``lib/unavailable.py``)."""

from __future__ import annotations

import psycopg
import psycopg.errors
from django.db import utils as db_utils

from monoboard.lib.unavailable import database_unavailable


def _wrapped(cause: BaseException, django_class: type[Exception]) -> Exception:
    """``cause`` as Django's ``wrap_database_errors`` re-raises it."""
    try:
        try:
            raise cause
        except psycopg.Error as exc:
            raise django_class(*exc.args) from exc
    except django_class as wrapped:
        return wrapped


def test_a_lost_connection_is_unavailable() -> None:
    lost = psycopg.OperationalError("server closed the connection unexpectedly")
    assert database_unavailable(_wrapped(lost, db_utils.OperationalError))


def test_a_commit_answered_out_of_protocol_is_unavailable() -> None:
    """PgBouncer answering a COMMIT with an error and a result while the server
    restarts: psycopg raises its own InternalError (no SQLSTATE). The commit's
    outcome is unknown and the connection is spent; the client should retry
    (with its idempotency key), which is what 503 says."""
    garbled = psycopg.InternalError("received 2 results from command 'COMMIT'")
    assert garbled.sqlstate is None
    assert database_unavailable(_wrapped(garbled, db_utils.InternalError))


def test_an_internal_error_reported_by_the_server_stays_a_500() -> None:
    server_side = psycopg.errors.InternalError_("cache lookup failed for relation 1")
    assert server_side.sqlstate == "XX000"
    assert not database_unavailable(_wrapped(server_side, db_utils.InternalError))


def test_other_errors_stay_500() -> None:
    assert not database_unavailable(ValueError("bad input"))
    assert not database_unavailable(None)
    unique = psycopg.errors.UniqueViolation("duplicate key")
    assert not database_unavailable(_wrapped(unique, db_utils.IntegrityError))
