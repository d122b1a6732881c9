"""``manage.py serve --roles``: which children an instance runs."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from monoboard.ops.management.commands import serve
from monoboard.ops.management.commands.serve import build_commands, instance_name, parse_roles
from monoboard.ops.supervisor import Supervisor

WORKER = ["{python}", "manage.py", "runworker"]
EVENTS = ["{python}", "-m", "granian", "--port", "{events_port}"]


def test_roles_are_checked_and_kept_in_order() -> None:
    assert parse_roles("worker, web") == ["web", "worker"]
    assert parse_roles("web,events,worker") == ["web", "events", "worker"]
    with pytest.raises(CommandError, match="subset of web, events, worker"):
        parse_roles("web,cron")
    with pytest.raises(CommandError):
        parse_roles(" , ")


@override_settings(SERVE_PROCESSES={"events": EVENTS, "worker": WORKER}, EVENTS_PORT=0)
def test_each_role_runs_only_its_own_child() -> None:
    every = build_commands(["web", "events", "worker"], host="127.0.0.1", port=8100, workers=2)
    assert list(every) == ["web", "events", "worker"]
    assert every["events"][-1] == "8101"  # the web port + 1 unless EVENTS_PORT is set

    app = build_commands(["web", "events"], host="127.0.0.1", port=8100, workers=2)
    assert list(app) == ["web", "events"]

    worker = build_commands(["worker"], host="127.0.0.1", port=0, workers=1)
    assert list(worker) == ["worker"]
    assert worker["worker"][1:] == ["manage.py", "runworker"]


@override_settings(SERVE_PROCESSES={"worker": WORKER})
def test_a_role_switched_off_in_settings_is_left_out() -> None:
    # REALTIME_SERVE=0 removes "events" from SERVE_PROCESSES.
    assert list(build_commands(["web", "events"], host="h", port=1, workers=1)) == ["web"]
    assert build_commands(["events"], host="h", port=1, workers=1) == {}


def test_instances_name_themselves_by_host_and_port() -> None:
    with override_settings(INSTANCE_NAME=""):
        assert instance_name(8100, ["web", "events"]).endswith(":8100")
        assert instance_name(0, ["worker"]).endswith(":worker")
    with override_settings(INSTANCE_NAME="app-2"):
        assert instance_name(8100, ["web"]) == "app-2"


def test_the_supervisor_ticks_between_passes_and_survives_a_failing_tick() -> None:
    lines: list[str] = []
    calls: list[int] = []

    def tick() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        supervisor.stop_soon()

    supervisor = Supervisor({}, env={}, log=lines.append, poll_s=0.01, tick=tick, tick_every_s=0)
    assert supervisor.run() == 0
    assert len(calls) == 2
    assert lines == ["serve: tick failed: database away"]


def test_only_an_instance_without_a_worker_samples_its_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[object] = []

    class Recorder(Supervisor):
        def run(self) -> int:
            seen.append(self.tick)
            return 0

        def start(self) -> None:
            pass

        def install_signal_handlers(self) -> None:
            pass

    monkeypatch.setattr(serve, "Supervisor", Recorder)
    monkeypatch.setattr(serve, "fresh_metrics_dir", lambda instance: Path("/nonexistent"))
    with override_settings(SERVE_PROCESSES={"events": EVENTS, "worker": WORKER}):
        call_command("serve", "--roles", "web,events", "--port", "8100", stdout=StringIO())
        call_command("serve", "--port", "8100", stdout=StringIO())
    assert seen == [serve.sample_box, None]
