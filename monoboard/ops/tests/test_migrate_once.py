"""`manage.py migrate_once`: pods that start together migrate once, without racing.

Three processes run it at the same moment against one empty PostgreSQL
database, as the init steps of a rollout's pods do: all succeed, every
migration is applied exactly once, and the ones that waited say so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from monoboard.testing import fixtures

pg_server = fixtures.pg_server
pg_empty_database = fixtures.pg_empty_database
pytestmark = pytest.mark.slow


def test_pods_starting_together_migrate_once(pg_empty_database: str, tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "DB_", "REDIS_"))
    }
    env.update(
        DATABASE_URL=pg_empty_database,
        DB_POOL="none",
        SECRET_KEY="k" * 50,
        MONOBOARD_DATA_DIR=str(tmp_path),
    )
    pods = [
        subprocess.Popen(
            [sys.executable, "manage.py", "migrate_once"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [pod.communicate(timeout=300)[0] for pod in pods]
    assert [pod.returncode for pod in pods] == [0, 0, 0], "\n---\n".join(outputs)
    applying = "\n".join(outputs).count("Applying core.0001_initial")
    assert applying == 1, outputs
    assert sum("waiting for its lock" in out for out in outputs) >= 1, outputs
    assert sum("No migrations to apply" in out for out in outputs) == 2, outputs
    with psycopg.connect(pg_empty_database) as conn:
        rows = conn.execute(
            "SELECT app, name FROM django_migrations GROUP BY app, name HAVING count(*) > 1"
        ).fetchall()
    assert rows == []
