"""A bad environment value stops `manage.py check` with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings


def check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "check"],
        env={**os.environ, "MONOBOARD_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("25", "JOBS_NICE must be at most 19; got 25"),
        ("-1", "JOBS_NICE must be at least 0; got -1"),
        ("low", "JOBS_NICE must be a whole number; got 'low'"),
    ],
)
def test_out_of_range_value_is_an_error(tmp_path: Path, value: str, message: str) -> None:
    done = check(tmp_path, JOBS_NICE=value)
    assert done.returncode == 1
    assert "monoboard.E001" in done.stderr
    assert message in done.stderr


def test_values_in_range_pass(tmp_path: Path) -> None:
    done = check(tmp_path, JOBS_NICE="19", SEARCH_RANK_POOL="50")
    assert done.returncode == 0, done.stderr
