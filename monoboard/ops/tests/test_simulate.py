"""`manage.py advise --simulate` on synthetic histories whose decisions were worked out first.

Each history is written into the database the way the product writes its own
figures (ProcessCpu rows per host, request rollups, system samples) and
replayed through the command. The load is split over four recorded hosts, so
the "demand" below is in percent of one instance (200 = two instances' worth).
The HPA runs with deploy/kubernetes' values (target 63 %, tolerance 0.1,
scale-up window 60 s and at most +4 pods or +100 % per 180 s, scale-down window
600 s and at most 1 pod per 600 s, 2 to 10 replicas).

Expected decisions, worked out by hand before the code ran:

Spike: demand 60 for minutes 0-9, 300 for 10-19, 60 for 20-39; reads' p95 50 ms.
- seeds: 2 instances (30 % each: not below 30, and 2 is the minimum) until
  minute 10 (150 %): +1; cool-down 3 minutes, so +1 again at 14 (100 %) and at
  18 (4 instances, 75 %); 5 instances from 19. The load drops at 20 (12 %) but
  the cool-down after 18 ends at 22: -1 there, then the 10-minute cool-down:
  -1 at 33. Instances 2x11, 3x4, 4x4, 5x4, 4x11, 3x6 = 132 instance-minutes;
  over 70 % CPU in minutes 10-18 (9); p95 over the target while an instance is
  at 95 % or more, minutes 10-14 (5).
- HPA: minute 10 wants ceil(2 x 150/63) = 5, allowed (up to 6): 5 from minute
  11, where 60 % is within the tolerance. From 20 it wants 1, but the
  down window holds 5 until minute 29: -1 there (one pod per 600 s), the next
  at 39. 2x11 + 5x19 + 4x10 = 157 instance-minutes; over 70 % only minute 10.

Slow climb: demand 40 + t for t = 0..159 (40 % to 199 %).
- seeds: out when (40 + t)/2 > 70, at t = 101, to 3; at 3 instances the CPU stays
  between 47 % and 66 %, so nothing else. 102x2 + 58x3 = 378 instance-minutes;
  1 minute over 70 %.
- HPA: out when (40 + t)/2 > 63 x 1.1 = 69.3, at t = 99 (69.5 %), to
  ceil(2 x 1.103) = 3; no minute over 70 %. 100x2 + 60x3 = 380.
- p95 (50 ms recorded on 4 hosts) scaled to 2 instances is
  50 (1 - d/400) / (1 - d/200): over 100 ms once d > 133.3 (t >= 94), so the
  seeds have 8 minutes over the p95 target (94-101), the HPA 6 (94-99); at 3
  instances it would take d > 240.

Daily wave: demand 110 - 90 cos(2 pi t / 1440) over a day of 1440 minutes
(20 % at midnight, 200 % at noon).
- seeds: one step out on the way up (when the demand passes 140) and one in on
  the way down (when it falls under 90: 3 instances under 30 %); peak 3, the
  crossing minute the only one over 70 %.
- HPA: out when the demand passes 138.6, back to 2 once every recommendation of
  the last 10 minutes is 2 (demand at most 126); peak 3, no minute over 70 %.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from monoboard.ops.models import LATENCY_BUCKETS_MS, ProcessCpu, RequestRollup, SystemSample

pytestmark = pytest.mark.django_db

HOSTS = 4


def minute_zero() -> datetime:
    now = timezone.now().replace(second=0, microsecond=0)
    return now - timedelta(days=2)


def record(
    demands: list[float],
    *,
    p95_ms: float = 50.0,
    backlog: list[int] | None = None,
    start: datetime | None = None,
) -> None:
    """Write one minute of figures per demand, as the product's processes would."""
    start = start or minute_zero()
    cpu, rollups, samples = [], [], []
    p95_bucket = LATENCY_BUCKETS_MS.index(p95_ms)
    for t, demand in enumerate(demands):
        minute = start + timedelta(minutes=t)
        for h in range(HOSTS):
            cpu.append(
                ProcessCpu(
                    minute=minute,
                    host=f"box{h}",
                    process=f"box{h}/web",
                    cpu_seconds=demand / HOSTS / 100 * 60,
                    cores=1,
                )
            )
        buckets = [0] * (len(LATENCY_BUCKETS_MS) + 1)
        buckets[p95_bucket] = 100
        rollups.append(
            RequestRollup(minute=minute, route="board", method="GET", count=100, buckets=buckets)
        )
        if backlog is not None:
            samples.append(SystemSample(minute=minute, host="box0", jobs_ready=backlog[t]))
    ProcessCpu.objects.bulk_create(cpu)
    RequestRollup.objects.bulk_create(rollups)
    SystemSample.objects.bulk_create(samples)


def simulate(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("advise", "--simulate", "--hours", "72", "--json", *args, stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def instances(result: dict[str, Any], policy: str) -> list[int]:
    return [m[policy]["instances"] for m in result["minutes"]]


def changes(result: dict[str, Any], policy: str) -> list[tuple[int, int]]:
    return [
        (t, m[policy]["change"]) for t, m in enumerate(result["minutes"]) if m[policy]["change"]
    ]


def totals(result: dict[str, Any], policy: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in result["totals"] if t["policy"] == policy)
    return found


SPIKE = [60.0] * 10 + [300.0] * 10 + [60.0] * 20
CLIMB = [40.0 + t for t in range(160)]
WAVE = [110 - 90 * math.cos(2 * math.pi * t / 1440) for t in range(1440)]


def test_spike_seeds_policy_steps_out_one_at_a_time_with_its_cool_downs(
    settings: Any,
) -> None:
    settings.SCALE_INSTANCE_HOUR_PRICE = 0.6
    record(SPIKE)
    result = simulate()
    assert changes(result, "seeds") == [(10, 1), (14, 1), (18, 1), (22, -1), (33, -1)]
    seeds = totals(result, "seeds")
    assert seeds["instance_minutes"] == 132
    assert seeds["minutes_over_cpu"] == 9
    assert seeds["minutes_over_p95"] == 5
    assert seeds["peak_instances"] == 5
    assert seeds["cost"] == pytest.approx(132 / 60 * 0.6)
    over = [t for t, m in enumerate(result["minutes"]) if m["seeds"]["over_cpu"]]
    assert over == list(range(10, 19))


def test_spike_hpa_jumps_to_what_the_load_needs_and_leaves_slowly() -> None:
    record(SPIKE)
    result = simulate()
    assert changes(result, "hpa") == [(10, 3), (29, -1), (39, -1)]
    hpa = totals(result, "hpa")
    assert hpa["instance_minutes"] == 157
    assert hpa["minutes_over_cpu"] == 1
    assert hpa["minutes_over_p95"] == 1
    assert instances(result, "hpa")[11:20] == [5] * 9


def test_slow_climb_each_policy_adds_one_instance_at_its_threshold() -> None:
    record(CLIMB)
    result = simulate()
    assert changes(result, "seeds") == [(101, 1)]
    assert changes(result, "hpa") == [(99, 1)]
    assert totals(result, "seeds")["instance_minutes"] == 378
    assert totals(result, "seeds")["minutes_over_cpu"] == 1
    assert totals(result, "hpa")["instance_minutes"] == 380
    assert totals(result, "hpa")["minutes_over_cpu"] == 0
    assert totals(result, "seeds")["minutes_over_p95"] == 8
    assert totals(result, "hpa")["minutes_over_p95"] == 6


def test_daily_wave_goes_out_once_on_the_way_up_and_back_once_on_the_way_down() -> None:
    record(WAVE)
    result = simulate()
    seeds, hpa = changes(result, "seeds"), changes(result, "hpa")
    assert [c for _, c in seeds] == [1, -1]
    assert [c for _, c in hpa] == [1, -1]
    up, down = seeds[0][0], seeds[1][0]
    assert WAVE[up] / 2 > 70 >= WAVE[up - 1] / 2
    assert WAVE[down] / 3 < 30 <= WAVE[down - 1] / 3
    hpa_up, hpa_down = hpa[0][0], hpa[1][0]
    assert WAVE[hpa_up] / 2 > 69.3 >= WAVE[hpa_up - 1] / 2
    # Ten minutes after the last minute that still needed 3 (demand over 126).
    last_needing_3 = max(t for t in range(720, 1440) if WAVE[t] > 126)
    assert hpa_down == last_needing_3 + 10
    assert totals(result, "seeds")["minutes_over_cpu"] == 1
    assert totals(result, "hpa")["minutes_over_cpu"] == 0
    assert totals(result, "seeds")["peak_instances"] == totals(result, "hpa")["peak_instances"] == 3
    # The fleet fixed at the peak's size (3) runs 3 all day: the policies cost less.
    fixed = totals(result, "fixed 3")
    assert fixed["instance_minutes"] == 3 * 1440
    assert totals(result, "seeds")["instance_minutes"] < fixed["instance_minutes"]


def test_workers_follow_the_jobs_backlog(settings: Any) -> None:
    settings.SCALE_JOBS_PER_WORKER = 50
    record([50.0] * 5, backlog=[0, 40, 51, 400, 5000])
    result = simulate()
    assert [m["workers"] for m in result["minutes"]] == [1, 1, 2, 8, 10]


def test_text_output_prints_every_minute_and_the_totals() -> None:
    record(SPIKE)
    out = StringIO()
    call_command("advise", "--simulate", "--hours", "72", stdout=out)
    text = out.getvalue()
    start = minute_zero()
    assert f"{start:%H:%M}" in text
    assert f"{start + timedelta(minutes=39):%H:%M}" in text
    assert "40 minutes replayed" in text
    seeds_line = next(line for line in text.splitlines() if line.startswith("seeds "))
    assert seeds_line.split()[1:6] == ["132", "5", "5", "9", "5"]
    assert any(line.startswith("hpa ") for line in text.splitlines())


def test_load_factor_replays_a_bigger_site() -> None:
    record([60.0] * 20)
    calm = simulate()
    assert set(instances(calm, "seeds")) == {2}
    busy = simulate("--load-factor", "3")
    assert changes(busy, "seeds")[0] == (0, 1)
    assert max(instances(busy, "hpa")) >= 3


def test_a_history_exported_and_read_back_replays_the_same(tmp_path: Path) -> None:
    record(SPIKE)
    path = tmp_path / "history.json"
    out = StringIO()
    call_command("advise", "--simulate", "--hours", "72", "--export", str(path), stdout=out)
    assert "Wrote 40 minutes" in out.getvalue()
    from_db = simulate()
    ProcessCpu.objects.all().delete()
    RequestRollup.objects.all().delete()
    from_file = simulate("--history", str(path))
    assert from_file["totals"] == from_db["totals"]


def test_bad_input_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no per-minute history"):
        simulate()
    with pytest.raises(CommandError, match="cannot read"):
        simulate("--history", str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        simulate("--history", str(broken))
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"version": 1, "minutes": [{"requests": 3}]}))
    with pytest.raises(CommandError, match="minute 1 is not valid"):
        simulate("--history", str(wrong))
    with pytest.raises(CommandError, match="--load-factor must be more than 0"):
        simulate("--load-factor", "0")
    with pytest.raises(CommandError, match="need --simulate"):
        call_command("advise", "--load-factor", "2", stdout=StringIO())


def test_the_scale_page_draws_the_replay(admin_client: Any, settings: Any) -> None:
    settings.SCALE_INSTANCE_HOUR_PRICE = 0.6
    now = timezone.now().replace(second=0, microsecond=0)
    record(SPIKE, start=now - timedelta(minutes=50))
    page = admin_client.get("/ops/scale/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Autoscaling, replayed" in text
    assert "40 minutes" in text
    rows = dict(re.findall(r"<tr>\s*<td>([^<]+)</td>(.*?)</tr>", text, flags=re.S))
    seeds = re.findall(r"<td>([^<]+)</td>", rows["the seeds&#x27; policy"])
    assert seeds == ["132", "5", "5", "9", "5", "1.32"]
    assert "Kubernetes HPA" in rows
    assert 'aria-label="instances, Kubernetes HPA over Autoscaling replayed, last 6 hours"' in text


def test_the_scale_page_says_when_there_is_nothing_to_replay(admin_client: Any) -> None:
    text = admin_client.get("/ops/scale/").content.decode()
    assert "No per-minute history in the last 6 hours yet" in text


def test_at_stage_4_the_next_rung_points_to_the_stage_5_chapter() -> None:
    from monoboard.ops import advisor

    figures = advisor.Figures(minutes=60, requests=6000, read_p95_ms=180, cpu_percent=40)
    config = advisor.Configuration(database_vendor="postgresql", pooled=True, cache_shared=True)
    step = advisor.advise(figures, config).next_step
    assert step is not None and step.stage == 5
    assert step.doc == "docs/scaling.md#stage-5-kubernetes-and-autoscaling"
    assert "advise --simulate" in step.cost
