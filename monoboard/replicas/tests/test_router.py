"""The router's decisions, with the replica's health given (no servers needed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from monoboard.accounts.models import User
from monoboard.boards.models import Post
from monoboard.lib.readcontext import ReadContext, identify, note_write, primary_only, reading
from monoboard.replicas import health, router
from monoboard.replicas.health import ReplicaStatus
from monoboard.replicas.lsn import format_lsn, parse_lsn

ROUTER = router.ReplicaRouter()


@pytest.fixture
def picks(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[int | None]:
    """health.pick answers replica1 and records the positions it was asked about."""
    settings.REPLICA_READS = True
    asked: list[int | None] = []

    def pick(position: int | None) -> str:
        asked.append(position)
        return "replica1"

    monkeypatch.setattr(health, "pick", pick)
    return asked


def test_lsn_round_trip_and_order() -> None:
    assert parse_lsn("0/3000060") == 0x3000060
    assert parse_lsn("16/B374D848") > parse_lsn("15/FFFFFFFF")
    assert format_lsn(parse_lsn("16/B374D848")) == "16/B374D848"


def test_outside_a_request_every_read_goes_to_the_primary(picks: list[int | None]) -> None:
    assert ROUTER.db_for_read(Post) == "default"
    assert picks == []


def test_content_reads_in_a_request_go_to_a_replica(picks: list[int | None]) -> None:
    with reading(ReadContext(load_position=lambda: 42)) as ctx:
        assert ROUTER.db_for_read(Post) == "replica1"
        assert ROUTER.db_for_read(Post) == "replica1"
        assert ctx.replica_used == "replica1"
    # The client's position was asked once; the request keeps its replica.
    assert picks == [42]


def test_identity_and_writes_stay_on_the_primary(picks: list[int | None]) -> None:
    with reading(ReadContext()):
        assert ROUTER.db_for_read(User) == "default"
        assert ROUTER.db_for_write(Post) == "default"
    assert ROUTER.allow_migrate("replica1", "boards") is False
    assert ROUTER.allow_migrate("default", "boards") is None  # no opinion: Django's default


def test_unsafe_requests_and_primary_only_blocks_read_the_primary(
    picks: list[int | None],
) -> None:
    with reading(ReadContext(use_replicas=False)):
        assert ROUTER.db_for_read(Post) == "default"
    with reading(ReadContext()), primary_only():
        assert ROUTER.db_for_read(Post) == "default"
    assert picks == []


@pytest.mark.django_db
def test_inside_a_transaction_reads_see_its_writes(picks: list[int | None]) -> None:
    # Under pytest-django's test transaction too; an explicit one to say why.
    with reading(ReadContext()), transaction.atomic():
        assert ROUTER.db_for_read(Post) == "default"


def test_replica_reads_off_sends_everything_to_the_primary(
    picks: list[int | None], settings: Any
) -> None:
    settings.REPLICA_READS = False
    with reading(ReadContext()):
        assert ROUTER.db_for_read(Post) == "default"


def test_an_api_caller_is_identified_and_its_position_reloaded() -> None:
    loads: list[str | None] = []
    ctx = ReadContext()

    def load() -> int:
        loads.append(ctx.client_key)
        return 7

    ctx.load_position = load
    with reading(ctx):
        assert ctx.position() == 7
        identify("key:3")
        assert ctx.position() == 7
        note_write()
    assert loads == [None, "key:3"]
    assert ctx.wrote is True


@pytest.mark.parametrize(
    ("status", "position", "usable"),
    [
        (ReplicaStatus("replica1", up=True, replay_lsn=100, lag_ms=5), None, True),
        (ReplicaStatus("replica1", up=True, replay_lsn=100, lag_ms=5), 100, True),
        (ReplicaStatus("replica1", up=True, replay_lsn=99, lag_ms=5), 100, False),
        (ReplicaStatus("replica1", up=True, replay_lsn=100, lag_ms=1500), None, False),
        (ReplicaStatus("replica1", up=False), None, False),
    ],
)
def test_a_replica_serves_only_when_up_close_and_caught_up(
    status: ReplicaStatus, position: int | None, usable: bool
) -> None:
    assert status.usable(position=position, max_lag_ms=1000) is usable
