"""`manage.py slowqueries` on the suite's own database: both sections, and why
the server section is missing (SQLite, or PostgreSQL without the library)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from monoboard.ops import pgstats
from monoboard.ops.management.commands.slowqueries import SERVER_TITLE

pytestmark = pytest.mark.django_db


def slowqueries(*args: str) -> str:
    out = StringIO()
    call_command("slowqueries", *args, stdout=out)
    return out.getvalue()


def expected_reason() -> str:
    """The suite's servers never preload pg_stat_statements."""
    return pgstats.NEEDS_POSTGRES if connection.vendor == "sqlite" else pgstats.ENABLE_LIBRARY


def test_both_sections_by_default_and_the_server_one_says_why_it_is_missing() -> None:
    output = slowqueries()
    assert output.startswith("Application (slow-query log, last 24 h)\n")
    assert "No query was slower than the threshold" in output
    assert f"\n{SERVER_TITLE}\nUnavailable. {expected_reason()}\n" in output


def test_source_app_prints_only_the_app_log() -> None:
    output = slowqueries("--source", "app")
    assert "No query was slower" in output
    assert SERVER_TITLE not in output and "Application" not in output


def test_source_server_prints_only_the_server_section() -> None:
    output = slowqueries("--source", "server", "--by", "count", "--limit", "3")
    assert output == f"{SERVER_TITLE}\nUnavailable. {expected_reason()}\n"


def test_reset_refuses_when_there_is_nothing_to_reset() -> None:
    with pytest.raises(CommandError, match="Cannot reset"):
        slowqueries("--source", "server", "--reset")


def test_unknown_source_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        slowqueries("--source", "everything")


def test_scale_page_shows_the_server_panel_only_on_postgresql(admin_client: Client) -> None:
    text = admin_client.get("/ops/scale/").content.decode()
    if connection.vendor == "sqlite":
        assert "Top statements on the server" not in text
    else:
        assert "Top statements on the server" in text
        assert "restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements;" in text
