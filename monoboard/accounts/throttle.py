"""Sign-in failure throttle, kept in Django's cache.

After ``SIGNIN_MAX_FAILURES`` failed sign-ins for one email address or one
client address within ``SIGNIN_FAILURE_WINDOW`` seconds (counted from the first
failure), further attempts for that key are refused until the window ends.
The counts live in ``CACHES["throttle"]`` (monoboard/lib/counters.py): the
database cache by default, so every process and instance sharing the database
counts together.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from monoboard.lib.counters import counter_cache, hit


def _keys(*, email: str, ip: str) -> list[str]:
    keys = []
    if email:
        digest = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
        keys.append(f"accounts:signin-fail:email:{digest}")
    if ip:
        keys.append(f"accounts:signin-fail:ip:{ip}")
    return keys


def is_locked(*, email: str, ip: str) -> bool:
    limit = int(settings.SIGNIN_MAX_FAILURES)
    counts = counter_cache().get_many(_keys(email=email, ip=ip))
    return any(int(count) >= limit for count in counts.values())


def record_failure(*, email: str, ip: str) -> None:
    window = int(settings.SIGNIN_FAILURE_WINDOW)
    for key in _keys(email=email, ip=ip):
        hit(key, window_s=window)


def clear(*, email: str) -> None:
    """Forget an address's failures once its owner proves who they are."""
    counter_cache().delete_many(_keys(email=email, ip=""))
