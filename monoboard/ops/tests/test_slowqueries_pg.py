"""`manage.py slowqueries` against PostgreSQL servers of its own, with and
without pg_stat_statements preloaded.

The product runs in child processes pointed at those servers (migrations,
services, HTTP requests through Django's test client), exactly as a deployed
site would; the command's output must then list what really ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from monoboard.ops import pgstats
from monoboard.ops.management.commands.slowqueries import SERVER_TITLE
from monoboard.testing import fixtures
from monoboard.testing.servers import PostgresServer, postgres_server

pg_server = fixtures.pg_server
pg_empty_database = fixtures.pg_empty_database

pytestmark = [
    pytest.mark.slow,
    fixtures.needs_servers,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="brings its own servers: runs once, in the SQLite run",
    ),
]

COUNTS = 17  # a call count nothing else in the workload reaches by chance
PAGE_VIEWS = 5

SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from monoboard.accounts import services as accounts
from monoboard.boards import services as boards
admin = accounts.first_admin_create(email="ada@example.com", password="correct horse 9!")
board = boards.board_create(actor=admin, name="Features")
for i in range(3):
    boards.post_create(board=board, author=admin, title=f"Idea {i}")
"""

WORKLOAD = f"""
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
from monoboard.boards.models import Board, Post
# Pages without collectstatic's manifest, as the suite renders them.
STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
override_settings(STORAGES={{**settings.STORAGES, "staticfiles": {{"BACKEND": STATIC}}}}).enable()
override_settings(PAGE_CACHE_SECONDS=0).enable()  # every page view runs its queries
board = Board.objects.get(slug="features")
for _ in range({COUNTS}):
    assert Post.objects.filter(board=board).count() == 3
client = Client(HTTP_HOST="localhost")
for _ in range({PAGE_VIEWS}):
    assert client.get("/b/features/").status_code == 200
"""


def run_product(data_dir: Path, database_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """The product in a child process against ``database_url``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_"))}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "monoboard.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "MONOBOARD_DATA_DIR": str(data_dir),
        "SECRET_KEY": "slowqueries-test-only",
        "DATABASE_URL": database_url,
        "DB_POOL": "none",
        "LOG_LEVEL": "CRITICAL",
    }
    return subprocess.run(
        [sys.executable, *argv],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def slowqueries(data_dir: Path, database_url: str, *args: str) -> str:
    result = run_product(data_dir, database_url, "manage.py", "slowqueries", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def python(data_dir: Path, database_url: str, code: str) -> None:
    result = run_product(data_dir, database_url, "-c", code)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """PostgreSQL with pg_stat_statements preloaded, created in its main database only."""
    with postgres_server(settings={"shared_preload_libraries": "pg_stat_statements"}) as server:
        server.psql("CREATE EXTENSION pg_stat_statements", dbname=server.dbname)
        yield server


@dataclass(frozen=True)
class Measured:
    server: PostgresServer
    data_dir: Path
    output: str


@pytest.fixture(scope="module")
def measured(stats_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """A migrated, seeded site; statistics reset; then a known workload; the listing."""
    data_dir = tmp_path_factory.mktemp("site")
    url = stats_server.url()
    python(data_dir, url, SEED)
    stats_server.psql("SELECT pg_stat_statements_reset()", dbname=stats_server.dbname)
    python(data_dir, url, WORKLOAD)
    output = slowqueries(data_dir, url, "--source", "server", "--by", "count", "--limit", "50")
    return Measured(stats_server, data_dir, output)


SCALE_PAGE = """
import django
django.setup()
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from monoboard.accounts.models import User
STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC}}).enable()
with connection.cursor() as cursor:
    for _ in range(3):  # slow enough to lead the page's list by total time
        cursor.execute("SELECT pg_sleep(0.05)")
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(email="ada@example.com"))
page = client.get("/ops/scale/")
assert page.status_code == 200, page.status_code
print(page.content.decode())
"""


def ranked(output: str) -> list[tuple[str, str]]:
    """(figures line, statement line) pairs of the server section."""
    lines = output.splitlines()
    return [(line, lines[i + 1]) for i, line in enumerate(lines) if line[:1].isdigit()]


def test_lists_a_statement_that_ran_with_its_exact_call_count(measured: Measured) -> None:
    assert measured.output.startswith(f"{SERVER_TITLE}\nCounted since ")
    counted = [
        (figures, sql)
        for figures, sql in ranked(measured.output)
        if 'FROM "boards_post"' in sql and "COUNT(*)" in sql
    ]
    assert len(counted) == 1, measured.output
    figures, sql = counted[0]
    assert f". {COUNTS}x  total " in figures
    assert '"boards_post"."board_id" = $1' in sql  # the server folds the values away


def test_orders_by_calls_and_counts_each_page_view(measured: Measured) -> None:
    statements = ranked(measured.output)
    calls = [int(figures.split(". ", 1)[1].split("x", 1)[0]) for figures, _ in statements]
    assert calls == sorted(calls, reverse=True)  # --by count
    board_lookups = {
        figures.split(". ", 1)[1].split("x", 1)[0]
        for figures, sql in statements
        # The page's lookup also checks the board's access rules, so its slug
        # condition falls past the listing's cut of a long statement.
        if 'FROM "boards_board" WHERE' in sql
    }
    assert board_lookups == {str(PAGE_VIEWS), "1"}  # the page's, and the workload's own get()


def test_a_database_without_the_extension_is_told_to_create_it(
    stats_server: PostgresServer, tmp_path: Path
) -> None:
    stats_server.psql(f'CREATE DATABASE "plain" OWNER "{stats_server.user}"')
    try:
        output = slowqueries(tmp_path, stats_server.url("plain"), "--source", "server")
    finally:
        stats_server.psql('DROP DATABASE IF EXISTS "plain" WITH (FORCE)')
    assert output == f"{SERVER_TITLE}\nUnavailable. {pgstats.ENABLE_EXTENSION}\n"


def test_reset_needs_the_right_and_then_forgets_this_database(
    measured: Measured,
) -> None:
    server, url = measured.server, measured.server.url()
    refused = run_product(
        measured.data_dir, url, "manage.py", "slowqueries", "--source", "server", "--reset"
    )
    assert refused.returncode != 0
    assert "permission denied" in refused.stderr and "GRANT EXECUTE" in refused.stderr
    server.psql(
        f'GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO "{server.user}"',
        dbname=server.dbname,
    )
    done = slowqueries(measured.data_dir, url, "--source", "server", "--reset")
    assert "Reset pg_stat_statements for this database." in done
    after = slowqueries(measured.data_dir, url, "--source", "server", "--limit", "50")
    assert not any('FROM "boards_post"' in sql and "COUNT(*)" in sql for _, sql in ranked(after))


def test_a_server_without_the_library_says_how_to_enable_it(
    pg_server: PostgresServer, pg_empty_database: str, tmp_path: Path
) -> None:
    output = slowqueries(tmp_path, pg_empty_database, "--source", "server")
    assert output == f"{SERVER_TITLE}\nUnavailable. {pgstats.ENABLE_LIBRARY}\n"
    assert "shared_preload_libraries = 'pg_stat_statements'" in output
    # Created without being preloaded, the view itself errors: same advice.
    dbname = urlsplit(pg_empty_database).path.lstrip("/")
    pg_server.psql("CREATE EXTENSION pg_stat_statements", dbname=dbname)
    output = slowqueries(tmp_path, pg_empty_database, "--source", "server")
    assert output == f"{SERVER_TITLE}\nUnavailable. {pgstats.ENABLE_LIBRARY}\n"


def test_scale_page_lists_the_top_statements(measured: Measured) -> None:
    result = run_product(measured.data_dir, measured.server.url(), "-c", SCALE_PAGE)
    assert result.returncode == 0, result.stderr
    panel = result.stdout.split("Top statements on the server", 1)[1].split("</table>", 1)[0]
    first_row = panel.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "<td>3</td>" in first_row and "SELECT pg_sleep($1)" in first_row
    assert panel.count("<tr>") == 1 + 5  # the header, and the top five
