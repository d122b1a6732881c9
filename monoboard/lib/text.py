"""Rules for text every input path shares (forms and the API schemas).

PostgreSQL refuses NUL (``\\x00``) in text, so a NUL that reached a query
would be a server error there and stored garbage on SQLite. One rule, one
message and one error code for every path: Django's form ``CharField`` runs
its ``ProhibitNullCharactersValidator`` (whose message and code these are) and
forms answer 400; the API schemas (``monoboard.api.schemas.Input``) call
:func:`contains_nul` on every field of every body and query, and the API
answers a 400 problem naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator

NUL_MESSAGE = str(ProhibitNullCharactersValidator.message)


def contains_nul(value: object) -> bool:
    """True when ``value`` (a string, or lists and mappings of them) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_nul(item) for item in value)
    return False
