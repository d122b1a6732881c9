"""``manage.py updatestatic``: collectstatic only when a source changed."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from monoboard.ops.management.commands import updatestatic


def test_collects_once_then_only_when_a_source_or_the_output_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, sources = tmp_path / "static", tmp_path / "src"
    sources.mkdir()
    (sources / "extra.css").write_text("body {}")
    runs: list[str] = []

    def collectstatic(name: str, **options: Any) -> None:
        assert name == "collectstatic"
        runs.append(name)
        root.mkdir(exist_ok=True)
        (root / "staticfiles.json").write_text("{}")

    monkeypatch.setattr(updatestatic, "call_command", collectstatic)
    with override_settings(STATIC_ROOT=str(root), STATICFILES_DIRS=[str(sources)]):
        call_command("updatestatic", verbosity=0)
        assert len(runs) == 1
        call_command("updatestatic", verbosity=0)
        assert len(runs) == 1, "collected again with nothing changed"

        stat = (sources / "extra.css").stat()
        os.utime(sources / "extra.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        call_command("updatestatic", verbosity=0)
        assert len(runs) == 2, "a changed source file was not collected"

        (sources / "new.js").write_text("")
        call_command("updatestatic", verbosity=0)
        assert len(runs) == 3, "a new source file was not collected"

        (root / "staticfiles.json").unlink()
        call_command("updatestatic", verbosity=0)
        assert len(runs) == 4, "a missing manifest was not collected again"

        call_command("updatestatic", "--force", verbosity=0)
        assert len(runs) == 5


def test_a_package_upgrade_collects_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monoboard.ops import staticstamp

    with override_settings(STATIC_ROOT=str(tmp_path)):
        before = staticstamp.sources_fingerprint()

        class Upgraded:
            metadata = {"Name": "Django"}
            version = "99.0"

        real = metadata.distributions
        monkeypatch.setattr(metadata, "distributions", lambda: [*real(), Upgraded()])
        assert staticstamp.sources_fingerprint() != before
