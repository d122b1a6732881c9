"""Claim and enqueue due recurring tasks (see recurring.py)."""

from __future__ import annotations

import datetime

from django.db import transaction

from monoboard.jobs.models import Schedule
from monoboard.jobs.recurring import Recurring, registered

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def period_start(now: datetime.datetime, every: datetime.timedelta) -> datetime.datetime:
    """Start of the fixed period (counted from the epoch) that ``now`` falls in."""
    return EPOCH + every * ((now - EPOCH) // every)


def _ensure_rows(entries: list[Recurring]) -> None:
    Schedule.objects.bulk_create(
        [
            Schedule(name=r.name, period_s=r.every.total_seconds(), last_period_start=EPOCH)
            for r in entries
        ],
        ignore_conflicts=True,
    )


def run_due_schedules(now: datetime.datetime) -> list[str]:
    """Enqueue every registered task whose current period nobody has claimed yet.

    Returns the names this caller claimed. The claim is a conditional UPDATE
    (``last_period_start < current start``) in the same transaction as the
    enqueue, so of several workers racing exactly one wins each period, and a
    crash between claim and enqueue loses neither or both.
    """
    entries = registered()
    if not entries:
        return []
    known = dict(Schedule.objects.values_list("name", "last_period_start"))
    missing = [r for r in entries if r.name not in known]
    if missing:
        _ensure_rows(missing)
        known.update({r.name: EPOCH for r in missing})
    claimed: list[str] = []
    for entry in entries:
        start = period_start(now, entry.every)
        if known[entry.name] >= start:
            continue  # cheap read-only check; the UPDATE below decides
        with transaction.atomic():
            won = Schedule.objects.filter(name=entry.name, last_period_start__lt=start).update(
                last_period_start=start, last_run_at=now, period_s=entry.every.total_seconds()
            )
            if won:
                entry.task.enqueue()
                claimed.append(entry.name)
    return claimed
