"""PostgreSQL WAL positions ("LSN", e.g. ``16/B374D848``) as comparable integers."""

from __future__ import annotations


def parse_lsn(text: str) -> int:
    """``'16/B374D848'`` -> an int that orders like the WAL does."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"
