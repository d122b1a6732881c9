"""Record a history for ``manage.py advise --simulate``: a stepped Locust load.

    .venv/bin/python bench/scaling_history.py --out docs/scaling-history.json

Seeds a stage-1 site (SQLite, Fider's size) under ``var/bench/history``, serves
it with ``manage.py serve`` (web, events and the jobs worker, whose
``ops.sample_system`` job samples the box every minute) with the per-minute
rollups on, runs the realistic mix through ``bench/locust_steps.py`` (users
stepping up and down, ``--users`` per step for ``--step-s`` seconds each),
waits for the last minute to be written, then exports the per-minute history
(``advise --simulate --export``) and prints the simulation of it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")

from bench.run import DISCOVER, EMAIL_DELIVERY, machine, seed_site
from bench.stack import PYTHON, ROOT, manage, product


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", default="2,8,20,8,25,4", help="users per step")
    parser.add_argument("--step-s", type=int, default=90, help="seconds per step")
    parser.add_argument("--out", type=Path, required=True, help="where the history JSON goes")
    args = parser.parse_args()
    data = ROOT / "var" / "bench" / "history"
    env = {
        "SECRET_KEY": "bench-" + "k" * 50,
        "METRICS_ROLLUPS": "1",
        "MONOBOARD_DATA_DIR": str(data),
    }
    seed_site(env, "fider", data / "seeded")
    manage("shell", "-c", EMAIL_DELIVERY.format(delivery="instant"), env=env)
    site = json.loads(manage("shell", "-c", DISCOVER, env=env).strip().splitlines()[-1])
    steps = [int(u) for u in args.users.split(",")]
    started = time.time()
    with product(env) as base:
        print(f"serving on {base}; steps {steps} x {args.step_s}s", flush=True)
        subprocess.run(
            [
                PYTHON,
                "-m",
                "locust",
                "-f",
                str(Path(__file__).with_name("locust_steps.py")),
                "--headless",
                "--host",
                base,
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "STEPS_USERS": args.users,
                "STEPS_SECONDS": str(args.step_s),
                "BENCH_BOARDS": json.dumps(site["boards"]),
                "BENCH_POSTS": json.dumps(site["posts"]),
                "BENCH_ACCOUNTS": json.dumps(site["accounts"]),
            },
            cwd=ROOT,
            check=False,
            timeout=len(steps) * args.step_s + 120,
        )
        # Rollups and CPU rows are written when their minute is over.
        time.sleep(70)
    hours = (time.time() - started) / 3600 + 0.05
    manage("advise", "--simulate", "--hours", f"{hours:.3f}", "--export", str(args.out), env=env)
    document = json.loads(args.out.read_text())
    document["recorded"] = {
        "machine": machine(),
        "command": f"bench/scaling_history.py --users {args.users} --step-s {args.step_s}",
        "load": f"Locust realistic mix, users per step {steps}, {args.step_s} s each",
        "stage": "1 (SQLite, one manage.py serve: web, events, worker)",
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(f"machine: {machine()}")
    print(manage("advise", "--simulate", "--history", str(args.out), env=env))


if __name__ == "__main__":
    main()
