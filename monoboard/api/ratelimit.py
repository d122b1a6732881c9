"""Fixed-window request limits per caller and per client address.

Counters live in ``CACHES["throttle"]`` (monoboard/lib/counters.py), the
database cache by default, so the limit holds across every web process and
every instance that shares the database.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from monoboard.api.errors import Problem
from monoboard.lib.client_ip import client_ip as address_of
from monoboard.lib.counters import hit

WINDOW_S = 60


def client_ip(request: HttpRequest) -> str:
    return address_of(request) or "unknown"


def _hit(bucket: str, limit: int) -> None:
    now = time.time()
    window = int(now // WINDOW_S)
    count = hit(f"api-rate:{bucket}:{window}", window_s=WINDOW_S + 5)
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_S - now) + 1)
        raise Problem(
            429,
            f"Rate limit of {limit} requests a minute reached; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def check(request: HttpRequest, *, caller: str | None) -> None:
    """Count this request; raise a 429 problem when a limit is passed.

    Signed-in callers are limited per caller (their key or account); everyone
    is also limited per address, at the higher authenticated rate when signed in.
    """
    if caller is not None:
        _hit(f"caller:{caller}", settings.API_RATE_LIMIT_PER_MINUTE)
        _hit(f"ip:{client_ip(request)}", settings.API_RATE_LIMIT_PER_MINUTE)
    else:
        _hit(f"anon-ip:{client_ip(request)}", settings.API_ANON_RATE_LIMIT_PER_MINUTE)
