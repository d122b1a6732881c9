"""Bookkeeping writes never raise, whatever the database answers."""

from __future__ import annotations

import psycopg
import pytest
from django.db import InterfaceError, OperationalError

from monoboard.lib import bookkeeping


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("the server closed the connection"),
        InterfaceError("connection already closed"),
        psycopg.OperationalError("server login has been failing"),
        psycopg.InterfaceError("the connection is lost"),
    ],
    ids=["operational", "interface", "psycopg operational", "psycopg interface"],
)
def test_a_lost_database_skips_the_write(error: Exception) -> None:
    def write() -> None:
        raise error

    assert bookkeeping.write_quietly("a test row", write) is False


@pytest.mark.django_db
def test_a_write_that_works_is_done() -> None:
    done: list[int] = []
    assert bookkeeping.write_quietly("a test row", lambda: done.append(1)) is True
    assert done == [1]


@pytest.mark.django_db
def test_other_errors_are_not_hidden() -> None:
    def write() -> None:
        raise ValueError("a bug, not the database")

    with pytest.raises(ValueError, match="a bug"):
        bookkeeping.write_quietly("a test row", write)
