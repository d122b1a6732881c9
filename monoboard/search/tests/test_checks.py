"""A backend forced to the wrong database is reported by `manage.py check`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

pytestmark = pytest.mark.django_db


def test_forcing_the_other_backend_is_an_error(settings: object) -> None:
    other = "postgres" if connection.vendor == "sqlite" else "sqlite_fts5"
    settings.SEARCH_BACKEND = other  # type: ignore[attr-defined]
    with pytest.raises(SystemCheckError, match=r"search\.E001"):
        call_command("check")


def test_auto_passes(settings: object) -> None:
    settings.SEARCH_BACKEND = "auto"  # type: ignore[attr-defined]
    call_command("check")
