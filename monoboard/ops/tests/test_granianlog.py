"""serve's worker-count warning: said only past two workers per core."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from monoboard.ops.granianlog import LOG_CONFIG_PATH, NoWorkerCountWarning, questionable_workers


def test_warns_only_past_two_per_core() -> None:
    assert questionable_workers(4, 2) is None
    assert questionable_workers(1, None) is None
    warning = questionable_workers(5, 2)
    assert warning and "WEB_WORKERS=4" in warning


def test_granians_own_warning_is_filtered_and_nothing_else() -> None:
    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("_granian", logging.WARNING, "", 0, message, None, None)

    quiet = NoWorkerCountWarning()
    granian_says = "Configured number of workers appears to be higher than the amount of CPU cores"
    assert not quiet.filter(record(granian_says))
    assert quiet.filter(record("Workers respawn is configured, but ..."))
    config = json.loads(Path(LOG_CONFIG_PATH).read_text())
    assert config["handlers"]["console"]["filters"] == ["quiet"]
