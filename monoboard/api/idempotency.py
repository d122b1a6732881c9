"""``Idempotency-Key`` for creating POSTs.

The first request with a key does the work and stores its status and body;
a repeat from the same caller within API_IDEMPOTENCY_TTL_HOURS gets that
stored answer without the work being done again. The same key with a
different body is a client bug and gets a 422 problem.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from monoboard.api.errors import Problem
from monoboard.api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _ttl() -> timedelta:
    return timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)


def run(request: HttpRequest, user_id: int, work: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Call ``work`` once per key; ``work`` returns (status, JSON-ready body)."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return work()
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(400, f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")
    caller = f"user:{user_id}"
    route = f"{request.method} {request.path}"
    digest = hashlib.sha256(route.encode() + b"\n" + request.body).hexdigest()
    cutoff = timezone.now() - _ttl()
    IdempotencyRecord.objects.filter(caller=caller, key=key, created_at__lt=cutoff).delete()
    previous = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
    if previous is not None:
        return _replay(previous, digest)
    lost_race = False
    with transaction.atomic():
        status, body = work()
        body = json.loads(json.dumps(body, default=str))
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    caller=caller,
                    key=key,
                    route=route,
                    request_hash=digest,
                    status_code=status,
                    response=body,
                )
        except IntegrityError:
            # A concurrent request with the same key finished first: undo
            # this one's work and answer as that one did.
            transaction.set_rollback(True)
            lost_race = True
    if lost_race:
        previous = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if previous is None:
            raise Problem(409, "A request with this Idempotency-Key is in progress.")
        return _replay(previous, digest)
    return status, body


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, Any]:
    if record.request_hash != digest:
        raise Problem(
            422,
            f"This {HEADER} was already used with a different request.",
            errors={HEADER: ["Use a new key for a different request."]},
        )
    return record.status_code, record.response


def prune() -> int:
    """Delete records older than the retention window."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - _ttl()).delete()
    return deleted
