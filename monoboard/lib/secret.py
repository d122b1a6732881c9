"""A secret key that survives restarts without anyone having to set one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret_key(path: Path) -> str:
    """Return the key stored at ``path``, creating it (mode 600) on first use."""
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Write to a private temp file then rename, so two processes starting at
    # once never read a half-written key.
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(key)
    try:
        os.link(tmp, path)  # fails if another process won the race
    except FileExistsError:
        tmp.unlink()
        return path.read_text().strip()
    tmp.unlink()
    return key
