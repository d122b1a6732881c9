"""Replay the product's per-minute history through two autoscaling policies.

``manage.py advise --simulate`` and the Scale page answer "how many instances
would an autoscaler have run, how often would they have been too busy, and
what would it have cost" from the figures the product already keeps:

- :func:`load_history` reads one :class:`Minute` per minute of the window from
  the rollups (requests, p95 of reads), the ProcessCpu rows (the product's CPU
  per host) and the system samples (jobs waiting);
- :func:`simulate_seeds` applies the stage-5 policy of the scaling roadmap: at
  least 2 instances, one more when a minute's CPU per instance is above 70 %,
  one fewer below 30 %, no change for 3 minutes after scaling out and for 10
  minutes after scaling in;
- :func:`simulate_hpa` applies the Kubernetes HorizontalPodAutoscaler's
  algorithm as documented (desired = ceil(current x metric / target), no
  change within a tolerance of 0.1, stabilization windows, scaling policies
  per period), with the values of ``deploy/kubernetes``;
- workers follow the jobs backlog (KEDA's PostgreSQL trigger: ceil(backlog /
  jobs per worker)).

The load model: the CPU the history shows (per host, summed: "instance-percent")
is work that n simulated instances share evenly, so each runs at demand / n.
An instance is as large as a box of the recorded history. p95 is scaled with
utilisation as a single queue's response time is, p95 x (1 - u_rec) / (1 - u):
the recorded p95 where the load per instance is the recorded one, higher where
each instance is busier, and over the target whenever an instance is at 95 %
or more. A decision at the end of a minute takes effect the next minute (the
new pod's start is within the minute).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from monoboard.ops.advisor import READ_P95_LIMIT_MS, p95_from_buckets
from monoboard.ops.models import LATENCY_BUCKETS_MS, ProcessCpu, RequestRollup, SystemSample

#: The seeds' policy for stage 5.
MIN_INSTANCES = 2
OUT_ABOVE = 70.0
IN_BELOW = 30.0
COOL_DOWN_AFTER_OUT = 3
COOL_DOWN_AFTER_IN = 10
#: The HPA's documented defaults and the values deploy/kubernetes sets.
HPA_TOLERANCE = 0.1
#: The HPA acts only once utilisation is more than the tolerance away from its
#: target, so a target of 70 % would scale out only above 77 %: 63 % scales
#: out above 69.3 %, the seeds' 70 %.
HPA_TARGET = 63.0
#: Utilisation from which a simulated instance is counted as overloaded.
SATURATED = 0.95
HISTORY_VERSION = 1


class HistoryError(ValueError):
    """A history file that cannot be read; the message says why."""


@dataclass(frozen=True)
class Minute:
    """What one minute of the product's history held."""

    minute: datetime
    requests: int = 0
    #: The product's CPU, summed over hosts, in percent of one host ("instance-percent").
    cpu_demand: float | None = None
    #: Hosts that measured CPU in the minute (the instances that ran).
    instances: int = 1
    p95_ms: float | None = None
    backlog: int | None = None


@dataclass(frozen=True)
class HpaScalingPolicy:
    kind: str  # "Pods" or "Percent"
    value: int
    period_s: int


@dataclass(frozen=True)
class HpaRules:
    stabilization_s: int
    policies: tuple[HpaScalingPolicy, ...]
    select: str = "Max"  # "Max", "Min" or "Disabled"


@dataclass(frozen=True)
class HpaSpec:
    """The parts of an autoscaling/v2 HorizontalPodAutoscaler the simulation uses."""

    min_replicas: int = MIN_INSTANCES
    max_replicas: int = 10
    target_utilization: float = HPA_TARGET
    tolerance: float = HPA_TOLERANCE
    #: The CPU must stay above the target a minute; then at most +100 % or +4
    #: pods per 3 minutes (the seeds' cool-down after scaling out).
    up: HpaRules = HpaRules(
        60, (HpaScalingPolicy("Pods", 4, 180), HpaScalingPolicy("Percent", 100, 180))
    )
    #: The highest recommendation of the last 10 minutes, one pod per 10 minutes
    #: (the seeds' cool-down after scaling in).
    down: HpaRules = HpaRules(600, (HpaScalingPolicy("Pods", 1, 600),))

    @classmethod
    def from_manifest(cls, hpa: dict[str, Any]) -> HpaSpec:
        """Read the values from a rendered HorizontalPodAutoscaler document."""
        spec = hpa["spec"]
        target = next(
            m["resource"]["target"]["averageUtilization"]
            for m in spec["metrics"]
            if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
        )

        def rules(raw: dict[str, Any]) -> HpaRules:
            return HpaRules(
                int(raw.get("stabilizationWindowSeconds", 0)),
                tuple(
                    HpaScalingPolicy(p["type"], int(p["value"]), int(p["periodSeconds"]))
                    for p in raw.get("policies", [])
                ),
                raw.get("selectPolicy", "Max"),
            )

        behavior = spec.get("behavior", {})
        return cls(
            min_replicas=int(spec.get("minReplicas", 1)),
            max_replicas=int(spec["maxReplicas"]),
            target_utilization=float(target),
            up=rules(behavior.get("scaleUp", {})),
            down=rules(behavior.get("scaleDown", {})),
        )


@dataclass(frozen=True)
class Step:
    """One simulated minute under one policy."""

    minute: datetime
    instances: int
    cpu_percent: float | None  # per instance
    p95_ms: float | None
    over_cpu: bool
    over_p95: bool
    change: int  # instances added (+) or removed (-) at the end of this minute


@dataclass
class Run:
    """A policy's minutes and totals."""

    policy: str
    steps: list[Step]
    price_per_instance_hour: float
    p95_target_ms: float

    @property
    def label(self) -> str:
        """How a person reads the policy's name."""
        if self.policy == "seeds":
            return "the seeds' policy"
        if self.policy == "hpa":
            return "Kubernetes HPA"
        return f"{self.policy} (sized for the peak)"

    @property
    def instance_minutes(self) -> int:
        return sum(s.instances for s in self.steps)

    @property
    def minutes_over_cpu(self) -> int:
        return sum(1 for s in self.steps if s.over_cpu)

    @property
    def minutes_over_p95(self) -> int:
        return sum(1 for s in self.steps if s.over_p95)

    @property
    def cost(self) -> float:
        return self.instance_minutes / 60 * self.price_per_instance_hour

    @property
    def peak(self) -> int:
        return max((s.instances for s in self.steps), default=0)

    @property
    def scale_events(self) -> int:
        return sum(1 for s in self.steps if s.change)

    def totals(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "minutes": len(self.steps),
            "instance_minutes": self.instance_minutes,
            "peak_instances": self.peak,
            "scale_events": self.scale_events,
            "minutes_over_cpu": self.minutes_over_cpu,
            "minutes_over_p95": self.minutes_over_p95,
            "cost": round(self.cost, 4),
        }


@dataclass
class Simulation:
    history: list[Minute]
    runs: list[Run]
    workers: list[int] = field(default_factory=list)
    jobs_per_worker: int = 0
    load_factor: float = 1.0

    @property
    def worker_minutes(self) -> int:
        return sum(self.workers)

    def run(self, policy: str) -> Run:
        return next(r for r in self.runs if r.policy == policy)


def _recorded_utilisation(m: Minute) -> float | None:
    if m.cpu_demand is None:
        return None
    return m.cpu_demand / max(m.instances, 1) / 100


def _outcome(m: Minute, n: int, load_factor: float) -> tuple[float | None, float | None]:
    """(CPU per instance in %, simulated p95) for minute ``m`` on ``n`` instances."""
    if m.cpu_demand is None:
        return None, m.p95_ms
    cpu = m.cpu_demand * load_factor / n
    u = cpu / 100
    if u >= SATURATED:
        return cpu, math.inf
    if m.p95_ms is None:
        return cpu, None
    recorded = min(_recorded_utilisation(m) or 0.0, SATURATED - 0.01)
    return cpu, m.p95_ms * (1 - recorded) / (1 - u)


def _step(
    m: Minute, n: int, change: int, load_factor: float, p95_target: float, cpu_limit: float
) -> Step:
    cpu, p95 = _outcome(m, n, load_factor)
    return Step(
        m.minute,
        n,
        None if cpu is None else round(cpu, 1),
        None if p95 is None or math.isinf(p95) else round(p95, 1),
        cpu is not None and cpu > cpu_limit,
        p95 is not None and p95 > p95_target,
        change,
    )


def simulate_seeds(
    history: Sequence[Minute],
    *,
    load_factor: float = 1.0,
    max_instances: int = 10,
    p95_target: float = READ_P95_LIMIT_MS,
    price: float = 0.0,
) -> Run:
    """The seeds' policy, minute by minute, starting at the minimum."""
    n = MIN_INSTANCES
    quiet_until = -1  # the first minute index at which a change may happen again
    steps: list[Step] = []
    for index, m in enumerate(history):
        cpu, _ = _outcome(m, n, load_factor)
        change = 0
        if cpu is not None and index >= quiet_until:
            if cpu > OUT_ABOVE and n < max_instances:
                change, quiet_until = 1, index + 1 + COOL_DOWN_AFTER_OUT
            elif cpu < IN_BELOW and n > MIN_INSTANCES:
                change, quiet_until = -1, index + 1 + COOL_DOWN_AFTER_IN
        steps.append(_step(m, n, change, load_factor, p95_target, OUT_ABOVE))
        n += change
    return Run("seeds", steps, price, p95_target)


def _limit(rules: HpaRules, current: int, history: list[tuple[int, int]], up: bool) -> int:
    """The replica count the scaling policies allow from ``current`` (HPA's calculation)."""
    if rules.select == "Disabled" or not rules.policies:
        return current
    limits = []
    for policy in rules.policies:
        changed = sum(
            delta for age, delta in history if age < policy.period_s and (delta > 0) == up
        )
        start = current - changed
        if policy.kind == "Pods":
            limits.append(start + policy.value if up else start - policy.value)
        elif up:
            limits.append(math.ceil(start * (1 + policy.value / 100)))
        else:
            limits.append(math.ceil(start * (1 - policy.value / 100)))
    pick = max if (rules.select == "Max") == up else min
    return pick(limits)


def simulate_hpa(
    history: Sequence[Minute],
    spec: HpaSpec | None = None,
    *,
    load_factor: float = 1.0,
    p95_target: float = READ_P95_LIMIT_MS,
    price: float = 0.0,
) -> Run:
    """The HorizontalPodAutoscaler's algorithm, evaluated once a minute.

    As documented in "Horizontal Pod Autoscaling" (kubernetes.io): the
    recommendation is ceil(current x utilisation / target) unless the ratio is
    within the tolerance; scaling up takes the lowest recommendation of the
    up window, scaling down the highest of the down window; the policies then
    bound the change per period; min and max replicas bound the result.
    """
    spec = spec or HpaSpec()
    n = spec.min_replicas
    recommendations: list[tuple[int, int]] = []  # (minute index, recommendation)
    changes: list[tuple[int, int]] = []  # (minute index, delta)
    steps: list[Step] = []
    for index, m in enumerate(history):
        cpu, _ = _outcome(m, n, load_factor)
        change = 0
        if cpu is not None:
            ratio = cpu / spec.target_utilization
            wanted = n if abs(ratio - 1) <= spec.tolerance else math.ceil(n * ratio)
            recommendations.append((index, wanted))
            window_up = [
                r for i, r in recommendations if (index - i) * 60 < spec.up.stabilization_s
            ]
            window_down = [
                r for i, r in recommendations if (index - i) * 60 < spec.down.stabilization_s
            ]
            up_rec, down_rec = min(window_up or [wanted]), max(window_down or [wanted])
            target = n
            if up_rec > n:
                target = up_rec
            elif down_rec < n:
                target = down_rec
            ages = [((index - i) * 60, delta) for i, delta in changes]
            if target > n:
                target = min(target, _limit(spec.up, n, ages, up=True))
            elif target < n:
                target = max(target, _limit(spec.down, n, ages, up=False))
            target = max(spec.min_replicas, min(spec.max_replicas, target))
            change = target - n
            if change:
                changes.append((index, change))
        steps.append(_step(m, n, change, load_factor, p95_target, OUT_ABOVE))
        n += change
    return Run("hpa", steps, price, p95_target)


def simulate_fixed(
    history: Sequence[Minute],
    instances: int,
    *,
    load_factor: float = 1.0,
    p95_target: float = READ_P95_LIMIT_MS,
    price: float = 0.0,
) -> Run:
    """A fleet that never changes size: the baseline the policies are compared with."""
    steps = [_step(m, instances, 0, load_factor, p95_target, OUT_ABOVE) for m in history]
    return Run(f"fixed {instances}", steps, price, p95_target)


def peak_fleet(history: Sequence[Minute], load_factor: float = 1.0) -> int:
    """The fewest instances that keep every minute at or below 70 % CPU."""
    demand = max((m.cpu_demand or 0.0 for m in history), default=0.0) * load_factor
    return max(MIN_INSTANCES, math.ceil(demand / OUT_ABOVE))


def workers_for(history: Sequence[Minute], jobs_per_worker: int, most: int) -> list[int]:
    """KEDA's PostgreSQL trigger on the ready jobs: ceil(backlog / target), at least 1."""
    return [max(1, min(most, math.ceil((m.backlog or 0) / jobs_per_worker))) for m in history]


def simulate(
    history: Sequence[Minute],
    *,
    load_factor: float = 1.0,
    spec: HpaSpec | None = None,
    price: float | None = None,
    p95_target: float | None = None,
    jobs_per_worker: int | None = None,
) -> Simulation:
    """Both policies and the fixed fleet sized for the peak, with the settings' prices."""
    price = float(settings.SCALE_INSTANCE_HOUR_PRICE) if price is None else price
    target = float(settings.SCALE_P95_TARGET_MS) if p95_target is None else p95_target
    per_worker = int(settings.SCALE_JOBS_PER_WORKER) if jobs_per_worker is None else jobs_per_worker
    spec = spec or HpaSpec()
    args = {"load_factor": load_factor, "p95_target": target, "price": price}
    runs = [
        simulate_seeds(history, max_instances=spec.max_replicas, **args),
        simulate_hpa(history, spec, **args),
        simulate_fixed(history, peak_fleet(history, load_factor), **args),
    ]
    return Simulation(
        list(history),
        runs,
        workers_for(history, per_worker, 10),
        per_worker,
        load_factor,
    )


def load_history(*, window: timedelta, now: datetime | None = None) -> list[Minute]:
    """One Minute per minute of the window, from the first to the last with figures."""
    now = now or timezone.now()
    since = now - window
    size = len(LATENCY_BUCKETS_MS) + 1
    requests: dict[datetime, int] = {}
    reads: dict[datetime, list[int]] = {}
    for minute, method, count, buckets in RequestRollup.objects.filter(
        minute__gte=since, minute__lt=now
    ).values_list("minute", "method", "count", "buckets"):
        requests[minute] = requests.get(minute, 0) + count
        if method in ("GET", "HEAD"):
            into = reads.setdefault(minute, [0] * size)
            for b, c in enumerate(buckets[:size]):
                into[b] += c
    used: dict[tuple[datetime, str], float] = {}
    cores: dict[tuple[datetime, str], int] = {}
    for minute, host, seconds, count in ProcessCpu.objects.filter(
        minute__gte=since, minute__lt=now
    ).values_list("minute", "host", "cpu_seconds", "cores"):
        used[(minute, host)] = used.get((minute, host), 0.0) + seconds
        cores[(minute, host)] = max(cores.get((minute, host), 1), count)
    demand: dict[datetime, float] = {}
    hosts: dict[datetime, int] = {}
    for (minute, host), seconds in used.items():
        share = min(100.0, 100.0 * seconds / (60 * cores[(minute, host)]))
        demand[minute] = demand.get(minute, 0.0) + share
        hosts[minute] = hosts.get(minute, 0) + 1
    backlog: dict[datetime, int] = {}
    for minute, ready in SystemSample.objects.filter(
        minute__gte=since, minute__lt=now, jobs_ready__isnull=False
    ).values_list("minute", "jobs_ready"):
        backlog[minute] = max(backlog.get(minute, 0), int(ready or 0))
    seen = set(requests) | set(demand) | set(backlog)
    if not seen:
        return []
    first, last = min(seen), max(seen)
    out = []
    minute = first
    while minute <= last:
        buckets = reads.get(minute)
        out.append(
            Minute(
                minute,
                requests.get(minute, 0),
                None if minute not in demand else round(demand[minute], 2),
                hosts.get(minute, 1),
                p95_from_buckets(buckets) if buckets else None,
                backlog.get(minute),
            )
        )
        minute += timedelta(minutes=1)
    return out


def dump_history(history: Iterable[Minute], path: Path, **recorded: str) -> None:
    """Write a history file that ``read_history`` and ``advise --simulate --history`` read."""
    minutes = [{**asdict(m), "minute": m.minute.isoformat()} for m in history]
    document = {"version": HISTORY_VERSION, "recorded": recorded, "minutes": minutes}
    path.write_text(json.dumps(document, indent=1) + "\n")


def read_history(path: Path) -> list[Minute]:
    """Read a history file; a clear HistoryError for anything that is not one."""
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise HistoryError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise HistoryError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("version") != HISTORY_VERSION:
        raise HistoryError(f"{path} is not a history file of version {HISTORY_VERSION}")
    out = []
    for number, raw in enumerate(document.get("minutes", []), start=1):
        try:
            minute = datetime.fromisoformat(raw["minute"])
            out.append(
                Minute(
                    minute if minute.tzinfo else minute.replace(tzinfo=UTC),
                    int(raw.get("requests", 0)),
                    None if raw.get("cpu_demand") is None else float(raw["cpu_demand"]),
                    max(1, int(raw.get("instances", 1))),
                    None if raw.get("p95_ms") is None else float(raw["p95_ms"]),
                    None if raw.get("backlog") is None else int(raw["backlog"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise HistoryError(f"{path}: minute {number} is not valid ({exc!r})") from exc
    return out


def _cell(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(sim: Simulation) -> list[str]:
    """The minute-by-minute table and the totals, as ``advise --simulate`` prints them."""
    seeds, hpa, fixed = sim.runs
    lines = [
        f"{len(sim.history)} minutes replayed"
        + (f" at {sim.load_factor:g}x the recorded load" if sim.load_factor != 1 else "")
        + f"; an instance is one box of the history; p95 target {seeds.p95_target_ms:g} ms; "
        f"price {seeds.price_per_instance_hour:g} per instance-hour.",
        "",
        "minute  req/min  cpu rec  p95 rec  backlog | seeds n  cpu/inst  p95 | "
        "hpa n  cpu/inst  p95 | workers",
    ]
    for i, m in enumerate(sim.history):
        s, h = seeds.steps[i], hpa.steps[i]

        def flag(step: Step) -> str:
            return ("C" if step.over_cpu else " ") + ("P" if step.over_p95 else " ")

        def arrow(step: Step) -> str:
            return f"{step.change:+d}" if step.change else "  "

        def p95(step: Step) -> str:
            if step.p95_ms is None and step.cpu_percent is not None and step.over_p95:
                return "sat"
            return _cell(step.p95_ms)

        lines.append(
            f"{m.minute:%H:%M}  {m.requests:7d}  {_cell(m.cpu_demand, 1):>7}  "
            f"{_cell(m.p95_ms):>7}  {_cell(m.backlog):>7} | "
            f"{s.instances:4d} {arrow(s)} {_cell(s.cpu_percent, 1):>7}{flag(s)} {p95(s):>4} | "
            f"{h.instances:3d} {arrow(h)} {_cell(h.cpu_percent, 1):>7}{flag(h)} {p95(h):>4} | "
            f"{sim.workers[i]:7d}"
        )
    lines += [
        "",
        "C: the minute's CPU per instance was over 70 %; P: p95 over the target "
        "(sat: an instance at 95 % or more).",
        "",
        "policy         instance-min  peak  changes  min over 70% CPU  min over p95  cost",
    ]
    for run in (seeds, hpa, fixed):
        lines.append(
            f"{run.policy:<14} {run.instance_minutes:12d}  {run.peak:4d}  {run.scale_events:7d}  "
            f"{run.minutes_over_cpu:16d}  {run.minutes_over_p95:12d}  {run.cost:.2f}"
        )
    lines.append(
        f"workers (KEDA, {sim.jobs_per_worker} jobs each): {sim.worker_minutes} worker-minutes, "
        f"peak {max(sim.workers, default=0)}"
    )
    return lines


def as_json(sim: Simulation) -> dict[str, Any]:
    return {
        "load_factor": sim.load_factor,
        "totals": [run.totals() for run in sim.runs],
        "worker_minutes": sim.worker_minutes,
        "minutes": [
            {
                "minute": m.minute.isoformat(),
                "requests": m.requests,
                "cpu_demand": m.cpu_demand,
                "p95_ms": m.p95_ms,
                "backlog": m.backlog,
                "workers": sim.workers[i],
                **{
                    run.policy: {
                        "instances": run.steps[i].instances,
                        "cpu_percent": run.steps[i].cpu_percent,
                        "p95_ms": run.steps[i].p95_ms,
                        "over_cpu": run.steps[i].over_cpu,
                        "over_p95": run.steps[i].over_p95,
                        "change": run.steps[i].change,
                    }
                    for run in sim.runs[:2]
                },
            }
            for i, m in enumerate(sim.history)
        ],
    }
