"""``scripts/stage2`` as a new owner meets it: first start, then Ctrl-C.

Beside a stage-1 site with content, the first start on an empty stage-2
database says so and names the copy command (it copies nothing unasked).
Ctrl-C as a terminal sends it (SIGINT to the whole process group) stops the
product, its children and both database servers, and frees the ports.

    .venv/bin/pytest -p no:cacheprovider -q -s monoboard/ops/tests/test_stage2_first_start.py
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from django.conf import settings

from monoboard.lib.ports import free_port
from monoboard.ops.tests.faults import (
    OWN_SERVERS,
    SEED,
    alive,
    product_env,
    running,
    seed,
    wait_until,
)
from monoboard.ops.tests.test_faults_stage2 import servers, stage2_dir, started
from monoboard.ops.tests.test_serve_console import descendants, port_free

pytestmark = OWN_SERVERS
__all__ = ["stage2_dir"]  # the fixture, used by name

NO_STATIC = SEED.replace('call_command("collectstatic", interactive=False, verbosity=0)\n', "")


def test_first_stage2_start_offers_the_copy_and_ctrl_c_stops_everything(
    tmp_path: Path, stage2_dir: Path
) -> None:
    stage1 = tmp_path / "stage1"
    seed(product_env(stage1), NO_STATIC)  # one admin, five posts
    source = stage1 / "monoboard.sqlite3"
    port, events_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_"))},
        "PORT": str(port),
        "EVENTS_PORT": str(events_port),
        "STAGE2_DIR": str(stage2_dir),
        "STAGE2_SOURCE": str(source),
        "STAGE2_PG_PORT": str(free_port()),
        "STAGE2_BOUNCER_PORT": str(free_port()),
        "WEB_WORKERS": "1",
        "SECRET_KEY": "fault-test-only",
    }
    env.pop("MONOBOARD_DATA_DIR", None)
    env.pop("STAGE2_COPY", None)
    log = tmp_path / "stage2.log"
    with running([str(settings.BASE_DIR / "scripts" / "stage2")], env, log=log) as stage2:
        assert started(stage2, port) is not None, log.read_text()[-3000:]
        said = log.read_text()
        assert "stage-2 database is EMPTY" in said, said[-3000:]
        assert "1 people, 5 posts" in said
        assert f"manage.py copysite --source sqlite:///{source}" in said
        assert "STAGE2_COPY=1 make stage2" in said

        family = [stage2.pid, *descendants(stage2.pid)]
        db_servers = servers(stage2_dir)
        assert set(db_servers) == {"postgres", "pgbouncer"}
        os.killpg(stage2.pid, signal.SIGINT)
        stopped = wait_until(
            lambda: (
                not any(alive(pid) for pid in [*family, *db_servers.values()])
                and port_free(port)
                and port_free(events_port)
            ),
            timeout=15,
        )
        left = [pid for pid in [*family, *db_servers.values()] if alive(pid)]
        assert stopped is not None, f"still running 15 s after Ctrl-C: {left}"
        print(f"\nstage2: everything stopped {stopped:.1f} s after Ctrl-C")
