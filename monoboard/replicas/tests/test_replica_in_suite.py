"""The router against the stage-4 run's real streaming replica (skipped elsewhere).

``scripts/test``'s stage-4 run (``withdb --via stage4``) sets
``DATABASE_REPLICA_URLS``; the replica is a test mirror, so it holds the
test database as the primary commits it.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.lib.readcontext import ReadContext, reading
from monoboard.replicas import health
from monoboard.replicas.lsn import parse_lsn
from monoboard.replicas.router import ReplicaRouter

pytestmark = [
    pytest.mark.skipif(not settings.DATABASE_REPLICA_URLS, reason="needs the stage-4 run"),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def on_replica(pk: int) -> bool:
    with reading(ReadContext()) as ctx:
        alias = ReplicaRouter().db_for_read(Board)
        found = Board.objects.using(alias).filter(pk=pk).exists()
    return alias == ctx.replica_used == "replica1" and found


def test_committed_rows_reach_the_replica_and_reads_go_there(admin: User) -> None:
    health.reset()
    board = services.board_create(actor=admin, name="Read from the replica")
    deadline = time.monotonic() + 10
    while not on_replica(board.pk):
        assert time.monotonic() < deadline, "the replica never served the new board"
        time.sleep(0.1)
    status = health.statuses()[0]
    assert status.up and status.lag_ms < 1000


def test_a_client_ahead_of_every_replica_reads_the_primary(admin: User) -> None:
    health.reset()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        now = parse_lsn(cursor.fetchone()[0])
    with reading(ReadContext(load_position=lambda: now + 10**9)):
        assert ReplicaRouter().db_for_read(Board) == "default"


def test_a_signed_in_page_after_a_write_shows_it(admin: User, admin_client: Client) -> None:
    response = admin_client.post(
        "/settings/boards/new/", {"name": "Written just now", "description": ""}
    )
    assert response.status_code in (200, 302)
    board = Board.objects.get(name="Written just now")
    page = admin_client.get(f"/b/{board.slug}/")
    assert page.status_code == 200 and b"Written just now" in page.content
