"""HMAC-SHA256 signatures on webhook bodies.

The receiver recomputes ``hmac_sha256(secret, f"{timestamp}.{body}")`` and
compares it with the ``v1=`` value of ``X-Monoboard-Signature``; the
timestamp (``X-Monoboard-Timestamp``, Unix seconds) lets it refuse replays of
old messages.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Monoboard-Timestamp"
SIGNATURE_HEADER = "X-Monoboard-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    try:
        expected = sign(secret, int(timestamp), body)
    except ValueError:
        return False
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
