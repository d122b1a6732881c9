"""Time series for the Scale page, drawn as inline SVG (no script, no library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monoboard.ops.advisor import p95_from_buckets
from monoboard.ops.models import LATENCY_BUCKETS_MS, ProcessCpu, RequestRollup, SystemSample
from monoboard.ops.simulate import OUT_ABOVE, Simulation

WIDTH, HEIGHT, PAD = 640, 160, 28


@dataclass(frozen=True)
class Series:
    title: str
    unit: str
    points: list[tuple[datetime, float | None]]
    limit: float | None = None

    @property
    def peak(self) -> float:
        values = [v for _, v in self.points if v is not None]
        return max([*values, self.limit or 0.0, 1.0])

    @property
    def latest(self) -> float | None:
        for _, value in reversed(self.points):
            if value is not None:
                return value
        return None

    def polyline(self) -> str:
        """SVG points for the measured values (gaps where nothing was measured)."""
        if not self.points:
            return ""
        step = (WIDTH - 2 * PAD) / max(len(self.points) - 1, 1)
        peak = self.peak
        return " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - (value / peak) * (HEIGHT - 2 * PAD):.1f}"
            for i, (_, value) in enumerate(self.points)
            if value is not None
        )

    def dots(self) -> list[tuple[str, str]]:
        """Each measured point, so a lone measurement still shows."""
        return [tuple(pair.split(",")) for pair in self.polyline().split()]  # type: ignore[misc]

    def limit_y(self) -> float | None:
        if self.limit is None:
            return None
        return HEIGHT - PAD - (self.limit / self.peak) * (HEIGHT - 2 * PAD)


def _slots(end: datetime, span: timedelta, step: timedelta) -> list[datetime]:
    count = int(span / step)
    start = end - span
    return [start + step * i for i in range(count)]


def _slot_index(moment: datetime, start: datetime, step: timedelta) -> int:
    return int((moment - start) / step)


def product_cpu_points(
    slots: list[datetime], start: datetime, end: datetime, step: timedelta
) -> list[float | None]:
    """The product's processes' share of a box per slot, averaged over the hosts seen."""
    used: dict[tuple[int, str], float] = {}
    cores: dict[tuple[int, str], int] = {}
    rows = ProcessCpu.objects.filter(minute__gte=start, minute__lt=end)
    for minute, host, seconds, count in rows.values_list("minute", "host", "cpu_seconds", "cores"):
        index = _slot_index(minute, start, step)
        if 0 <= index < len(slots):
            used[(index, host)] = used.get((index, host), 0.0) + seconds
            cores[(index, host)] = max(cores.get((index, host), 1), count)
    shares: list[list[float]] = [[] for _ in slots]
    for (index, host), seconds in used.items():
        capacity = step.total_seconds() * cores[(index, host)]
        shares[index].append(min(100.0, 100.0 * seconds / capacity))
    return [sum(s) / len(s) if s else None for s in shares]


def build_series(*, end: datetime, span: timedelta, step: timedelta) -> list[Series]:
    slots = _slots(end, span, step)
    start = slots[0]
    size = len(LATENCY_BUCKETS_MS) + 1
    read_buckets = [[0] * size for _ in slots]
    requests = [0] * len(slots)
    for row in RequestRollup.objects.filter(minute__gte=start, minute__lt=end).only(
        "minute", "method", "count", "buckets"
    ):
        index = _slot_index(row.minute, start, step)
        if not 0 <= index < len(slots):
            continue
        requests[index] += row.count
        if row.method in ("GET", "HEAD"):
            for b, count in enumerate(row.buckets[:size]):
                read_buckets[index][b] += count
    cpu_sum = [0.0] * len(slots)
    cpu_n = [0] * len(slots)
    for minute, cpu in SystemSample.objects.filter(minute__gte=start, minute__lt=end).values_list(
        "minute", "cpu_percent"
    ):
        index = _slot_index(minute, start, step)
        if cpu is not None and 0 <= index < len(slots):
            cpu_sum[index] += cpu
            cpu_n[index] += 1
    per_minute = step.total_seconds() / 60
    return [
        Series(
            "p95 read latency",
            "ms",
            list(zip(slots, [p95_from_buckets(b) for b in read_buckets], strict=True)),
            100.0,
        ),
        Series(
            "requests per minute",
            "/min",
            list(zip(slots, [r / per_minute if r else None for r in requests], strict=True)),
        ),
        Series(
            "CPU, product",
            "%",
            list(zip(slots, product_cpu_points(slots, start, end, step), strict=True)),
            75.0,
        ),
        Series(
            "CPU, whole machine",
            "%",
            list(
                zip(
                    slots,
                    [s / n if n else None for s, n in zip(cpu_sum, cpu_n, strict=True)],
                    strict=True,
                )
            ),
            75.0,
        ),
    ]


def simulation_series(sim: Simulation) -> list[Series]:
    """The replayed policies minute by minute: instances each would run, and their CPU."""
    seeds, hpa = sim.run("seeds"), sim.run("hpa")
    minutes = [m.minute for m in sim.history]

    def points(values: list[float | None]) -> list[tuple[datetime, float | None]]:
        return list(zip(minutes, values, strict=True))

    return [
        Series(
            "instances, the seeds' policy", "instances", points([s.instances for s in seeds.steps])
        ),
        Series("instances, Kubernetes HPA", "instances", points([s.instances for s in hpa.steps])),
        Series(
            "CPU per instance, the seeds' policy",
            "%",
            points([s.cpu_percent for s in seeds.steps]),
            OUT_ABOVE,
        ),
        Series(
            "CPU per instance, Kubernetes HPA",
            "%",
            points([s.cpu_percent for s in hpa.steps]),
            OUT_ABOVE,
        ),
    ]
