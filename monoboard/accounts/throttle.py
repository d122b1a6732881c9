"""Sign-in failure throttle, kept in Django's cache.

After ``SIGNIN_MAX_FAILURES`` failed sign-ins for one email address or one
client address within ``SIGNIN_FAILURE_WINDOW`` seconds (counted from the first
failure), further attempts for that key are refused until the window ends.
The counts hold across app instances only when they share a cache (Redis);
with the default per-process cache each process counts on its own.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


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
    counts = cache.get_many(_keys(email=email, ip=ip))
    return any(int(count) >= limit for count in counts.values())


def record_failure(*, email: str, ip: str) -> None:
    window = int(settings.SIGNIN_FAILURE_WINDOW)
    for key in _keys(email=email, ip=ip):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def clear(*, email: str) -> None:
    """Forget an address's failures once its owner proves who they are."""
    cache.delete_many(_keys(email=email, ip=""))
