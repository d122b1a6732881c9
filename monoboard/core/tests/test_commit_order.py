"""Event ids follow commit order, so a reader tailing ``id > last_seen`` misses nothing.

Two writers on two connections: the first inserts its event and holds its
transaction open; the second writes and commits while the first is still
open. On PostgreSQL a sequence would give the first event the lower id and
the second would commit first: a reader that saw the second would step past
the first for ever. The log's insert trigger makes the second writer wait
until the first has committed, so ids are handed out in commit order.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from monoboard.core.events import DomainEvent, emit
from monoboard.core.models import Event

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def tail(after: int) -> list[int]:
    return list(Event.objects.filter(id__gt=after).order_by("id").values_list("id", flat=True))


def test_a_reader_never_passes_an_event_still_being_committed() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    first_inserted, release_first = threading.Event(), threading.Event()
    committed: list[str] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                emit(DomainEvent(kind="test.first"))
                first_inserted.set()
                release_first.wait(10)
            committed.append("first")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                emit(DomainEvent(kind="test.second"))
            committed.append("second")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)  # time enough for the second writer to commit, were it not held
    seen = tail(0)  # what a live reader sees while the first is open
    assert seen == []
    assert two.is_alive(), "the second writer committed while the first was open"
    last_seen = max(seen, default=0)
    release_first.set()
    one.join(10)
    two.join(10)
    assert not errors
    # Both threads note their commit after it returns; the two notes may land in
    # either order, so the ids below are what show the order of the commits.
    assert sorted(committed) == ["first", "second"]
    rows = list(Event.objects.filter(id__gt=last_seen).order_by("id"))
    assert [row.kind for row in rows] == ["test.first", "test.second"]
