"""Property-based runs of schemathesis against the live OpenAPI schema.

A live server (loopback, the suite's database: SQLite, or PostgreSQL under
``monoboard.testing.withdb``) is seeded with boards, posts, a comment, a tag
and a merged pair. Schemathesis runs every check it has, once with an
admin's API key and once with a member's, and writes every exchange to a HAR
file. The test fails on any response with a status of 500 or more, and on
any answer that does not match the schema. The other checks' findings
(public reads that need no credentials, business rules refusing a
schema-valid body) are by design and do not decide the outcome.

Bounded: a few examples per operation and a time budget per run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from conftest import make_user
from monoboard.accounts import credentials
from monoboard.accounts.models import Role, User
from monoboard.boards import services
from monoboard.boards.models import Board, Status

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = 5
MAX_TIME_S = 45
#: Findings that mean an answer does not match the published schema.
SCHEMA_FINDINGS = (
    "Response violates schema",
    "Undocumented HTTP status code",
    "Undocumented Content-Type",
    "Missing Content-Type header",
)


def seed() -> dict[str, User]:
    admin = make_user("ada@example.com", Role.ADMIN, "Ada Admin")
    moderator = make_user("mo@example.com", Role.MODERATOR, "Mo Moderator")
    member = make_user("mem@example.com", Role.MEMBER, "Mel Member")
    Status.objects.get_or_create(slug="open", defaults={"name": "Open", "is_default": True})
    board = Board.objects.create(name="Feature requests", slug="features")
    Board.objects.create(name="Internal", slug="internal", is_private=True)
    post = services.post_create(board=board, author=member, title="Dark mode please", body="Night")
    services.comment_create(post=post, author=member, body="At night especially")
    other = services.post_create(board=board, author=moderator, title="Night theme")
    services.post_merge(source=other, target=post, actor=moderator)
    services.tag_save(actor=admin, name="Mobile")
    return {"admin": admin, "member": member}


def run_schemathesis(url: str, key: str, workdir: Path) -> tuple[int, str, list[dict[str, Any]]]:
    har = workdir / "run.har"
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{url}/api/v1/openapi.json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {key}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261122",
            "--request-timeout",
            "10",
            "--max-time",
            str(MAX_TIME_S),
            "--workers",
            "1",
            "--no-shrink",
            "--report",
            "har",
            "--report-har-path",
            str(har),
        ],
        capture_output=True,
        text=True,
        timeout=MAX_TIME_S + 120,
        cwd=workdir,
        check=False,
    )
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    return result.returncode, result.stdout + result.stderr, entries


@pytest.mark.parametrize("persona", ["admin", "member"])
def test_schemathesis_finds_no_server_errors(
    live_server: Any, settings: Any, tmp_path: Path, persona: str
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.API_ANON_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = seed()
    key = credentials.api_key_create(actor=users[persona], name="schemathesis").secret
    code, output, entries = run_schemathesis(live_server.url, key, tmp_path)
    statuses = Counter(int(e["response"]["status"]) for e in entries)
    server_errors = [
        f"{e['request']['method']} {e['request']['url']} -> {e['response']['status']}"
        for e in entries
        if int(e["response"]["status"]) >= 500
    ]
    print(  # the figures, for `pytest -s`
        f"schemathesis {connection.vendor} {persona}: {len(entries)} requests, "
        f"statuses {dict(sorted(statuses.items()))}, exit {code}"
    )
    assert entries, output[-4000:]
    assert server_errors == [], "\n".join(server_errors[:20]) + "\n" + output[-6000:]
    # Answers still match the schema (the gate this file had before it ran every check).
    for finding in SCHEMA_FINDINGS:
        assert finding not in output, output[-6000:]
