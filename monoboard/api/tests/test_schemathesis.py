"""Property-based run of schemathesis against the live OpenAPI schema.

A live server (loopback, SQLite test database) is seeded with a board, a post
and a member whose API key schemathesis sends; the run fails on any 5xx or any
response that does not match the schema.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import make_user
from monoboard.accounts import credentials
from monoboard.boards import services
from monoboard.boards.models import Board, Status

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_server_errors(
    live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.API_ANON_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user("ada@example.com", "admin", "Ada Admin")
    member = make_user("mem@example.com", "member", "Mel Member")
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})
    board = Board.objects.create(name="Feature requests", slug="features")
    services.post_create(board=board, author=member, title="Dark mode please", body="At night")
    key = credentials.api_key_create(actor=member, name="schemathesis").secret
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--header",
            f"Authorization: Bearer {key}",
            "--max-examples",
            "10",
            "--seed",
            "20261122",
            "--request-timeout",
            "10",
            "--max-time",
            "30",
            "--phases",
            "fuzzing",
            "--workers",
            "1",
            "--no-shrink",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "passed" in output.lower(), output[-2000:]
