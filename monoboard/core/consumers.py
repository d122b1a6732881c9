"""Running the event log's consumers: one transaction per batch, at least once.

:func:`consume` moves one consumer forward: it locks the consumer's position
row, reads the events after it, hands each wanted event to the handler and
stores the new position, all in one transaction. A handler's own writes
(index rows, job rows, delivery rows) commit together with the position, so
with the log and those rows in one database each event's effects happen
exactly once; a crash anywhere rolls the batch back and it runs again.

A batch whose handler raises is rolled back and retried on the next call,
one event at a time until it passes, so the event that fails is known.
After ``EVENTS_MAX_FAILURES`` failures in a row on the same event, that one
event is skipped (logged, counted, and kept in ``last_error``) so a single
poisoned event cannot stop the consumer for good.

:func:`consume_all` first reads the kinds of the new events once, and runs
only the consumers that want one of them (or have fallen a whole batch
behind), so a burst of votes costs the consumers that ignore votes nothing.
The consumers it runs share one transaction per batch (:func:`consume_together`):
the events are read once and one commit moves every position. When
a handler fails that transaction rolls back and each consumer then runs on
its own (:func:`consume`), so the failure is recorded against the one that
failed and the others go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from monoboard.core.events import (
    Consumer,
    DomainEvent,
    HandlerFailed,
    as_domain_event,
    consumers,
    latest_event_id,
    log_alias,
)
from monoboard.core.models import ConsumerPosition, Event

logger = logging.getLogger("monoboard.events")

#: A consumer with nothing to do is moved along after a batch's 1/SWEEP_EVERY events.
SWEEP_EVERY = 8


@dataclass(frozen=True)
class Progress:
    read: int  # events read (wanted or not)
    position: int  # -1: another worker holds this consumer


@dataclass(frozen=True)
class SharedProgress:
    read: int  # events read, summed over the consumers that moved
    full: bool  # the batch was full: there may be more to read
    moved: list[Consumer]  # consumers this batch moved forward
    alone: list[Consumer]  # consumers retrying a failure: they run on their own


def _position_row(alias: str, name: str) -> ConsumerPosition | None:
    """Lock ``name``'s position row; None when another worker holds it."""
    rows = ConsumerPosition.objects.using(alias).select_for_update(skip_locked=True)
    row = rows.filter(name=name).first()
    if row is not None:
        return row
    try:
        with transaction.atomic(using=alias):
            # Normally made at migrate time (start_new_consumers); a log
            # emptied since then holds nothing this consumer has seen.
            ConsumerPosition.objects.using(alias).create(name=name, position=0)
    except IntegrityError:
        pass  # created by another worker a moment ago
    return rows.filter(name=name).first()


def consume(item: Consumer, *, batch: int | None = None) -> Progress:
    """Move ``item`` forward by up to ``batch`` events."""
    alias = log_alias()
    limit = batch or int(settings.EVENTS_BATCH)
    try:
        with transaction.atomic(using=alias):
            row = _position_row(alias, item.name)
            if row is None:
                return Progress(0, -1)
            events = Event.objects.using(alias).filter(id__gt=row.position)
            skip_to = row.failed_event_id if row.failures >= settings.EVENTS_MAX_FAILURES else None
            if skip_to is not None:
                events = events.filter(id__lt=skip_to)  # up to the poisoned one, not it
            if row.failures:
                limit = 1  # find the event that fails, one at a time
            read = 0
            wanted: list[tuple[int, DomainEvent]] = []
            for event in events.order_by("id")[:limit]:
                read += 1
                row.position = event.id
                if event.kind in item.kinds:
                    wanted.append((event.id, as_domain_event(event)))
            if wanted:
                item.handle_batch(wanted)  # HandlerFailed names the event that failed
            if skip_to is not None and read < limit:
                logger.error(
                    "consumer %s: gave up on event %s after %d failures: %s",
                    item.name,
                    skip_to,
                    row.failures,
                    row.last_error,
                )
                row.position, row.failures, row.failed_event_id = skip_to, 0, None
                row.skipped += 1
            elif read and skip_to is None:
                row.failures, row.failed_event_id = 0, None
            if read or skip_to is not None:
                row.updated_at = timezone.now()
                row.save(using=alias)
            return Progress(read, row.position)
    except HandlerFailed as failed:
        cause = failed.__cause__ or failed
        _record_failure(alias, item.name, failed.event_id, cause)
        raise cause from None


def consume_together(items: list[Consumer], *, batch: int) -> SharedProgress | None:
    """Move several consumers forward in one transaction; None if a handler
    failed (everything rolled back: run each with :func:`consume` to find it).

    Reads up to ``batch`` events after the furthest-behind position once; each
    consumer gets the wanted ones after its own position. Consumers another
    worker holds are left out; those retrying a failure are handed back in
    ``alone``.
    """
    alias = log_alias()
    try:
        with transaction.atomic(using=alias):
            locked = ConsumerPosition.objects.using(alias).select_for_update(skip_locked=True)
            rows = {row.name: row for row in locked.filter(name__in=[i.name for i in items])}
            alone = [i for i in items if i.name in rows and rows[i.name].failures]
            ready = [i for i in items if i.name in rows and not rows[i.name].failures]
            if not ready:
                return SharedProgress(0, False, [], alone)
            start = min(rows[i.name].position for i in ready)
            events = list(Event.objects.using(alias).filter(id__gt=start).order_by("id")[:batch])
            if not events:
                return SharedProgress(0, False, [], alone)
            read, moved = 0, []
            for item in ready:
                row = rows[item.name]
                after = [e for e in events if e.id > row.position]
                if not after:
                    continue
                # Decoded for each consumer: none sees another's changes to ``data``.
                wanted = [(e.id, as_domain_event(e)) for e in after if e.kind in item.kinds]
                if wanted:
                    item.handle_batch(wanted)
                read += len(after)
                moved.append(item)
            # Every consumer that moved read to the batch's last event.
            ConsumerPosition.objects.using(alias).filter(name__in=[i.name for i in moved]).update(
                position=events[-1].id, updated_at=timezone.now()
            )
            return SharedProgress(read, len(events) == batch, moved, alone)
    except HandlerFailed:
        return None


def _record_failure(alias: str, name: str, event_id: int, cause: BaseException) -> None:
    with transaction.atomic(using=alias):
        row = ConsumerPosition.objects.using(alias).select_for_update().get(name=name)
        same = row.failed_event_id == event_id
        row.failures = row.failures + 1 if same else 1
        row.failed_event_id = event_id
        row.last_error = f"event {event_id}: {cause!r}"[:2000]
        row.updated_at = timezone.now()
        row.save(using=alias)
    logger.warning("consumer %s failed (%d in a row): %s", name, row.failures, row.last_error)


def consume_all(*, batch: int | None = None, everyone: bool = False) -> int:
    """Bring every consumer that has work up to the log's end; returns events read."""
    return _one_pass(batch=batch, everyone=everyone)[0]


def _one_pass(*, batch: int | None, everyone: bool) -> tuple[int, int]:
    """(events read, the log's end when the pass began).

    When it returns, every consumer it ran has read to that end (or failed,
    which is recorded); the others had nothing they want before it.

    Three small queries find who is behind and what kinds of event are new,
    so an idle pass costs no transaction. A consumer runs when one of the new
    events is of a kind it wants (or it is a whole batch behind, so its
    position keeps up); it reads batch after batch until it has caught up
    (or fails, which is recorded and retried on the next pass).
    """
    limit = batch or int(settings.EVENTS_BATCH)
    alias = log_alias()
    latest = latest_event_id()
    positions = dict(ConsumerPosition.objects.using(alias).values_list("name", "position"))
    behind = [item for item in consumers() if positions.get(item.name, -1) < latest]
    if not behind:
        return 0, latest
    oldest = min(positions.get(item.name, 0) for item in behind)
    new_kinds = list(
        Event.objects.using(alias)
        .filter(id__gt=oldest)
        .order_by("id")
        .values_list("id", "kind")[: limit * 4]
    )
    # A consumer that ignores the new events still comes along once it lags
    # this far, at no extra statement (it shares the pass's transaction), so
    # the kinds read above stay a few rows long.
    sweep_lag = max(1, limit // SWEEP_EVERY)
    due = []
    for item in behind:
        position = positions.get(item.name, -1)
        has_work = any(pk > position and kind in item.kinds for pk, kind in new_kinds)
        far_behind = latest - position >= sweep_lag or len(new_kinds) >= limit * 4
        if has_work or far_behind or everyone:
            due.append(item)  # the others' places move with a later pass
    read, alone = 0, []
    while due:
        shared = consume_together(due, batch=limit)
        if shared is None:  # a handler failed: each alone says which
            alone += due
            break
        read += shared.read
        alone += shared.alone
        due = shared.moved if shared.full else []
    for item in alone:
        read += _consume_alone(item, limit)
    return read, latest


def _consume_alone(item: Consumer, limit: int) -> int:
    """Run one consumer to the log's end batch by batch; a failure is recorded
    by :func:`consume` and logged here, and the other consumers go on."""
    read = 0
    try:
        while True:
            progress = consume(item, batch=limit)
            read += progress.read
            if progress.read < limit or progress.position < 0:
                break
    except Exception:
        logger.exception("consumer %s: batch rolled back", item.name)
    return read


def drain(*, max_passes: int = 1000, everyone: bool = True) -> int:
    """Run the consumers until none has anything left to read.

    ``everyone`` (tests, batch runs) also moves consumers with nothing to do
    to the log's end; the worker passes False and leaves them until they do.
    """
    total = 0
    for _ in range(max_passes):
        read, latest = _one_pass(batch=None, everyone=everyone)
        total += read
        # A pass reads to the end it saw; another is needed only for events
        # written since (by other processes, or by the handlers themselves).
        if not read or latest_event_id() == latest:
            return total
    return total


def start_new_consumers(*, using: str) -> list[str]:
    """Give each registered consumer without a position one at the log's end.

    Runs after ``migrate``: a consumer added by an upgrade starts with the
    events written from then on, instead of acting again on everything the
    log still holds (emails sent twice).
    """
    if using != log_alias():
        return []
    known = set(ConsumerPosition.objects.using(using).values_list("name", flat=True))
    latest = latest_event_id()
    new = [item.name for item in consumers() if item.name not in known]
    ConsumerPosition.objects.using(using).bulk_create(
        [ConsumerPosition(name=name, position=latest) for name in new], ignore_conflicts=True
    )
    return new


@dataclass(frozen=True)
class ConsumerStatus:
    name: str
    position: int
    behind: int  # events of its kinds written that it has yet to handle
    failures: int
    last_error: str
    skipped: int
    updated_at: datetime | None


def statuses() -> list[ConsumerStatus]:
    """Each registered consumer's place in the log, for the admins' jobs page."""
    latest = latest_event_id()
    rows = {row.name: row for row in ConsumerPosition.objects.using(log_alias(write=False)).all()}
    result = []
    for item in consumers():
        row = rows.get(item.name)
        position = row.position if row else 0
        waiting = Event.objects.using(log_alias(write=False)).filter(
            id__gt=position, kind__in=list(item.kinds)
        )
        result.append(
            ConsumerStatus(
                name=item.name,
                position=position,
                behind=waiting.count() if position < latest else 0,
                failures=row.failures if row else 0,
                last_error=row.last_error if row and row.failures else "",
                skipped=row.skipped if row else 0,
                updated_at=row.updated_at if row else None,
            )
        )
    return result
