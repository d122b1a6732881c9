"""Per-instance figures for /metrics, readable from any instance.

Each instance's Prometheus files cover only that instance (its own
PROMETHEUS_MULTIPROC_DIR), but every instance writes its per-minute rollups
to the shared database, tagged ``<instance>/<pid>``. These gauges sum the last
few finished minutes per instance, so one scrape of any instance shows them
all side by side, and ``monoboard_instance_info`` says which one answered.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monoboard.ops import advisor
from monoboard.ops.metrics.rollup import minute_of

logger = logging.getLogger(__name__)
WINDOW = timedelta(minutes=5)


def this_instance() -> str:
    return str(settings.INSTANCE_NAME or socket.gethostname())


class InstancesCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "monoboard_instance_info", "The instance that answered this scrape", labels=["instance"]
        )
        info.add_metric([this_instance()], 1)
        yield info
        end = minute_of(timezone.now())
        figures = advisor.measure(window=WINDOW, now=end)
        help_suffix = f"in the last {WINDOW.seconds // 60} finished minutes (shared rollups)"
        requests = GaugeMetricFamily(
            "monoboard_instance_requests", f"Requests answered {help_suffix}", labels=["instance"]
        )
        errors = GaugeMetricFamily(
            "monoboard_instance_errors", f"Requests answered 5xx {help_suffix}", labels=["instance"]
        )
        p95 = GaugeMetricFamily(
            "monoboard_instance_request_p95_seconds",
            f"95th percentile of request time {help_suffix}",
            labels=["instance"],
        )
        for instance in figures.instances:
            requests.add_metric([instance.name], instance.requests)
            errors.add_metric([instance.name], instance.errors)
            if instance.p95_ms is not None:
                p95.add_metric([instance.name], instance.p95_ms / 1000)
        yield from (requests, errors, p95)


def exposition() -> bytes:
    """The per-instance gauges in the text format; empty if the database cannot say."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(InstancesCollector())
    try:
        return generate_latest(registry)
    except DatabaseError:
        logger.warning("per-instance figures unavailable: the database did not answer")
        return b""
