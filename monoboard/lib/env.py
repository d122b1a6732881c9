"""Typed readers for environment variables.

A bad value never crashes start-up with a traceback: the reader falls back to
the default and records the problem, and ``monoboard.ops.checks`` reports every
recorded problem as a Django system check error naming the variable. Commands
that serve traffic run the checks first, so a misconfigured box refuses to
start with all of its problems listed at once.
"""

from __future__ import annotations

import os

#: Problems found while reading the environment, as (variable, message) pairs.
problems: list[tuple[str, str]] = []


def _raw(name: str) -> str | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return raw.strip()


def env_str(name: str, default: str = "") -> str:
    return _raw(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    problems.append((name, f"must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"))
    return default


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append((name, f"must be a whole number; got {raw!r}"))
        return default
    if minimum is not None and value < minimum:
        problems.append((name, f"must be at least {minimum}; got {value}"))
        return default
    if maximum is not None and value > maximum:
        problems.append((name, f"must be at most {maximum}; got {value}"))
        return default
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append((name, f"must be a number; got {raw!r}"))
        return default
    if minimum is not None and value < minimum:
        problems.append((name, f"must be at least {minimum}; got {value}"))
        return default
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() not in choices:
        problems.append((name, f"must be one of {', '.join(choices)}; got {raw!r}"))
        return default
    return raw.lower()


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list of IP networks (``10.0.0.0/8``) or single addresses."""
    import ipaddress

    items = env_list(name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            problems.append((name, f"must be IP addresses or networks; got {item!r}"))
            return list(default or [])
    return items
