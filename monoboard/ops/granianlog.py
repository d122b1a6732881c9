"""granian's logging under ``manage.py serve``: its own setup, less one warning.

granian warns at every start when it runs more workers than the machine has
cores. Two per core is monoboard's default on purpose (a worker waiting on
the database leaves its core to another), so ``serve`` says it itself only
past that (``questionable_workers``) and this filter drops granian's line.
This module is imported by granian's processes: no Django here.
"""

from __future__ import annotations

import logging
import os

WORKERS_PER_CORE = 2
#: granian's --log-config: its defaults plus the filter on its console handler.
LOG_CONFIG_PATH = os.path.join(os.path.dirname(__file__), "granian_log.json")


def questionable_workers(workers: int, cpus: int | None) -> str | None:
    """A warning when ``workers`` is past two per core; None when it is not."""
    if cpus and workers > WORKERS_PER_CORE * cpus:
        return (
            f"serve: {workers} web workers on {cpus} CPU cores is more than "
            f"{WORKERS_PER_CORE} per core; WEB_WORKERS={WORKERS_PER_CORE * cpus} is enough"
        )
    return None


class NoWorkerCountWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "number of workers appears to be higher" not in record.getMessage()
