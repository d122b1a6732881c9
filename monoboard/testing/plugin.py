"""Pytest plugin for the PgBouncer run: every test under monoboard/ops/tests
counts as an integration test, beside those marked ``pg_integration``.

Loaded only by that run (``pytest -p monoboard.testing.plugin -m pg_integration``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

INTEGRATION_DIRS = (Path("monoboard") / "ops" / "tests",)


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        relative = item.path.relative_to(root) if item.path.is_relative_to(root) else item.path
        if any(relative.is_relative_to(d) for d in INTEGRATION_DIRS):
            item.add_marker(pytest.mark.pg_integration)
