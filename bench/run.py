"""One command for the benchmark suite: seed, serve, load, and a table.

    .venv/bin/python bench/run.py --size fider --duration 15

For each stage asked for (``sqlite``; ``postgres``, ``pgbouncer``, ``stage3``
and ``stage4`` when PostgreSQL is installed; ``stage3`` also needs nginx,
``stage4`` Redis) it seeds a site of the chosen size, serves it with
``manage.py serve`` on a loopback port (``stage3``: two instances and a worker
behind nginx, as scripts/stage3 runs them, with the same number of web
processes in all as stage 2; ``stage4``: stage 2's PostgreSQL with a
streaming replica and Redis, then the same site as two instances behind
nginx with the edge cache on), measures fixed endpoints with wrk and a
realistic mix with Locust, and measures nginx serving a static file in the
same run as the machine's ceiling. The table is printed and written to
bench/results/ with the machine, the commit and the stage.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")

from bench import cpu
from bench.stack import ROOT, manage, nginx_static, product

if TYPE_CHECKING:
    from monoboard.testing import servers as servers_module

SIZES: dict[str, list[str]] = {
    "fider": ["--fider"],
    "10k": ["--users", "2000", "--posts", "10000", "--votes", "100000", "--comments", "20000"],
    "100k": ["--users", "10000", "--posts", "100000", "--votes", "1000000", "--comments", "200000"],
    "1m": ["--users", "20000", "--posts", "1000000", "--votes", "3000000", "--comments", "500000"],
}
WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
ADMIN_EMAIL = "admin@bench.example.com"
DISCOVER = """
import json
from monoboard.boards.models import Board, Post
from monoboard.accounts.models import User
boards = list(Board.objects.filter(is_private=False).values_list("slug", flat=True))
listed = Post.objects.filter(is_listed=True, board__is_private=False).select_related("board")
posts = [f"/b/{p.board.slug}/p/{p.pk}-{p.slug}/" for p in listed.order_by("-vote_count")[:300]]
demo = User.objects.filter(email__startswith="demo.", is_active=True)
users = list(demo.values_list("email", flat=True)[:200])
# A signed-in session for wrk: members bypass the page cache, so their pages
# show what rendering costs.
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
member = demo.first()
session = SessionStore()
session[SESSION_KEY] = str(member.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = member.get_session_auth_hash()
session.create()
cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
print(json.dumps({"boards": boards, "posts": posts, "accounts": users, "cookie": cookie}))
"""


@dataclass
class Row:
    stage: str
    endpoint: str
    tool: str
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int
    #: CPU milliseconds the product spent per request: for a wrk row the web
    #: processes' user + system time over the measurement divided by its
    #: requests; for a Locust row the route's own figure from /metrics.
    cpu_ms: float | None = None


def require_ok(url: str, headers: dict[str, str]) -> None:
    """Fail unless ``url`` answers 200 itself: wrk counts a redirect as a success.

    A site without an admin sends every page to the setup form, and a
    benchmark of that redirect would look fast and mean nothing.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        status, location = response.status, response.getheader("Location", "")
    finally:
        connection.close()
    if status != 200:
        raise RuntimeError(f"{url} answered {status} {location}, not 200: nothing to measure")


def wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    label: str,
    stage: str,
    cookie: str = "",
    app_pids: Sequence[int] = (),
) -> Row | None:
    """One wrk measurement; with ``app_pids`` (the product's processes) its CPU per request."""
    if shutil.which("wrk") is None:
        return None
    headers = {"Cookie": cookie} if cookie else {}
    require_ok(url, headers)
    cpu_before = cpu.tree_seconds(list(app_pids))
    threads = min(2, connections)
    extra = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(WRK_SCRIPT),
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        return None
    data = json.loads(line.removeprefix("WRK_JSON "))
    cpu_s = cpu.tree_seconds(list(app_pids)) - cpu_before
    return Row(
        stage,
        label,
        f"wrk c={connections}",
        data["requests"] / data["seconds"],
        data["p50_ms"],
        data["p95_ms"],
        data["p99_ms"],
        data["errors"],
        data["requests"],
        1000 * cpu_s / data["requests"] if app_pids and data["requests"] else None,
    )


#: Locust user classes per mix: the realistic mix (3 visitors to 1 member),
#: or signed-in members only (the vote round-trip target's 50 users).
MIXES = {"realistic": ["Visitor", "Member"], "members": ["Member"]}


def locust(
    base: str,
    *,
    users: int,
    seconds: int,
    warmup: int,
    mix: str,
    stage: str,
    site: dict[str, list[str]],
    at_steady_state: Callable[[], None] = lambda: None,
) -> list[Row]:
    """Run the Locust mix; report ``seconds`` of steady state once all users started.

    ``warmup`` bounds the time the users may take to start (sign-ins are
    argon2 hashes); past it Locust stops and the table covers the whole run.
    ``at_steady_state`` is called when the measured part begins.
    """
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "mix"
        steady = Path(tmp) / "steady"
        watcher = threading.Thread(
            target=_when_created, args=(steady, at_steady_state, warmup + 30), daemon=True
        )
        watcher.start()
        env = {
            "BENCH_STEADY_FILE": str(steady),
            **os.environ,
            "BENCH_BOARDS": json.dumps(site["boards"]),
            "BENCH_POSTS": json.dumps(site["posts"]),
            "BENCH_ACCOUNTS": json.dumps(site["accounts"]),
            "BENCH_MEASURE_S": str(seconds),
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(users),
                "-t",
                f"{warmup + seconds + 5}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                *MIXES[mix],
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=warmup + seconds + 120,
        )
        rows: list[Row] = []
        stats = prefix.with_name("mix_stats.csv")
        if not stats.exists():
            print(f"Locust wrote no statistics:\n{done.stderr[-2000:]}", flush=True)
            return rows
        with stats.open() as fh:
            for rec in csv.DictReader(fh):
                if rec["Name"] == "Aggregated" or rec["Name"].startswith("sign in"):
                    continue
                if rec["50%"] == "N/A":  # no request of this kind finished in time
                    continue
                rows.append(
                    Row(
                        stage,
                        rec["Name"],
                        f"locust u={users}" + ("" if mix == "realistic" else f" {mix}"),
                        float(rec["Requests/s"]),
                        float(rec["50%"]),
                        float(rec["95%"]),
                        float(rec["99%"]),
                        int(rec["Failure Count"]),
                        int(rec["Request Count"]),
                    )
                )
        return rows


def wrk_rows(
    endpoints: Iterable[tuple[str, str, int, str]],
    args: argparse.Namespace,
    stage: str,
    app_pids: Sequence[int] = (),
) -> list[Row]:
    """One wrk row per (url, label, connections, cookie) that answered."""
    rows = []
    for url, label, conns, cookie in endpoints:
        row = wrk(
            url,
            connections=conns,
            seconds=args.duration,
            label=label,
            stage=stage,
            cookie=cookie,
            app_pids=app_pids,
        )
        if row:
            rows.append(row)
    return rows


def _when_created(path: Path, then: Callable[[], None], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    then()


def seed_site(env: dict[str, str], size: str, marker: Path) -> None:
    manage("migrate", "--no-input", env=env)
    manage("collectstatic", "--no-input", "-v", "0", env=env)
    if not marker.exists():
        print(f"  seeding {size} ...", flush=True)
        manage("seed", *SIZES[size], "--seed", "7", env=env, quiet=False)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(size)
    # A site has an admin; without one every page redirects to the setup form.
    admin = {**env, "BENCH_ADMIN_PASSWORD": "bench admin password"}
    manage(
        "createadmin",
        "--email",
        ADMIN_EMAIL,
        "--password-env",
        "BENCH_ADMIN_PASSWORD",
        "--no-input",
        env=admin,
    )


def measure_stage(
    stage: str,
    env: dict[str, str],
    args: argparse.Namespace,
    marker: Path,
    notes: list[str],
    db_pids: tuple[int, ...] = (),
    serve: Callable[[], AbstractContextManager[str]] | None = None,
) -> list[Row]:
    """Seed, serve (``serve``, else one ``manage.py serve``) and measure one stage."""
    print(f"== stage {stage}", flush=True)
    seed_site(env, args.size, marker)
    manage("shell", "-c", EMAIL_DELIVERY.format(delivery=args.email), env=env)
    # The seed's side effects (search index, similar-post vectors) are done
    # before anything is measured, as on a site that has been running a while.
    manage("shell", "-c", CATCH_UP, env=env)
    site = json.loads(manage("shell", "-c", DISCOVER, env=env).strip().splitlines()[-1])
    rows: list[Row] = []
    with serve() if serve else product(env, workers=args.workers) as base:
        board = f"{base}/b/{site['boards'][0]}/"
        post = base + site["posts"][0]
        wrk(board, connections=4, seconds=3, label="warm-up", stage=stage)
        wrk(board, connections=4, seconds=2, label="warm-up", stage=stage, cookie=site["cookie"])
        app = cpu.serve_processes(env["MONOBOARD_DATA_DIR"])
        member = site["cookie"]
        fixed = (
            ()
            if args.mix_only
            else (
                (board, "board page (anonymous)", 1, ""),
                (board, "board page (anonymous)", args.connections, ""),
                (board, "board page (signed in)", 1, member),
                (board, "board page (signed in)", args.connections, member),
                (post, "post page (anonymous)", args.connections, ""),
                (post, "post page (signed in)", 1, member),
                (post, "post page (signed in)", args.connections, member),
                (f"{base}/search/?q=dark+mode", "search (anonymous)", args.connections, ""),
            )
        )
        rows += wrk_rows(fixed, args, stage, app)
        if args.no_mix:
            _cache_notes(stage, base, notes)
            return rows
        before = server_figures(base)
        emails_before = email_counts(env)

        def cpu_now() -> tuple[float, float]:
            return cpu.tree_seconds(app), cpu.tree_seconds(list(db_pids))

        cpu_before = [cpu_now()]  # replaced once the measured part begins
        routes_before = [route_cpu(base)]

        def at_steady_state() -> None:
            cpu_before.append(cpu_now())
            routes_before.append(route_cpu(base))

        mixed = locust(
            base,
            users=args.users,
            seconds=args.duration,
            warmup=args.warmup,
            mix=args.mix,
            stage=stage,
            site=site,
            at_steady_state=at_steady_state,
        )
        cpu_after = cpu_now()
        add_route_cpu(mixed, routes_before[-1], route_cpu(base))
        rows.extend(mixed)
        figures = [
            describe_server(before, server_figures(base)),
            describe_emails(emails_before, email_counts(env)),
            describe_cpu(cpu_before[-1], cpu_after, mixed, bool(db_pids)),
        ]
        notes.append(f"{stage}, server side during the Locust run (sign-ins included): "
                     + "; ".join(figures))  # fmt: skip
        _cache_notes(stage, base, notes)
    return rows


#: Sets every user's delivery for every kind (no row means instant).
EMAIL_DELIVERY = """
from monoboard.accounts.models import User
from monoboard.notifications.models import Kind, Preference
Preference.objects.all().delete()
if "{delivery}" != "instant":
    Preference.objects.bulk_create(
        Preference(user_id=uid, kind=kind, delivery="{delivery}")
        for uid in User.objects.values_list("pk", flat=True) for kind in Kind.values
    )
"""

#: Runs the event log's consumers to its end (a no-op for checkouts without them).
CATCH_UP = """
try:
    from monoboard.core.consumers import drain
except ImportError:
    drain = None
if drain is not None:
    drain()
"""

EMAILS = """
import json
from django.db.models import Count
from monoboard.notifications.models import OutboxEmail
rows = OutboxEmail.objects.values_list("state").annotate(n=Count("id"))
print(json.dumps(dict(rows)))
"""


def describe_cpu(
    before: tuple[float, float], after: tuple[float, float], rows: list[Row], db: bool
) -> str:
    """CPU seconds of the product (web, events, worker) and of the database servers
    over the measured part of the mix, and per measured request."""
    requests = sum(row.requests for row in rows) or 1
    app_s = after[0] - before[0]
    per_request = 1000 * app_s / requests
    text = f"measured part only: product CPU {app_s:.1f} s ({per_request:.1f} ms per request)"
    if db:
        db_s = after[1] - before[1]
        text += f", database CPU {db_s:.1f} s ({1000 * db_s / requests:.1f} ms)"
    return text


def email_counts(env: dict[str, str]) -> dict[str, int]:
    """Outbox emails by state: sending them is background work that shares the box."""
    counts: dict[str, int] = json.loads(manage("shell", "-c", EMAILS, env=env).splitlines()[-1])
    return counts


def describe_emails(before: dict[str, int], after: dict[str, int]) -> str:
    def grew(state: str) -> int:
        return after.get(state, 0) - before.get(state, 0)

    queued = sum(after.values()) - sum(before.values())
    waiting = after.get("pending", 0) + after.get("sending", 0)
    return f"{queued:,} emails queued and {grew('sent'):,} sent during the run, {waiting:,} waiting"


POST_ROUTE = "/b/<slug:board_slug>/p/<int:post_id>-<slug:post_slug>/"
#: Locust request names -> (route, method, viewer) as /metrics labels them.
LOCUST_ROUTES = {
    "board page (anonymous)": ("/b/<slug:board_slug>/", "GET", "visitor"),
    "board page (signed in)": ("/b/<slug:board_slug>/", "GET", "member"),
    "create post": ("/b/<slug:board_slug>/", "POST", "member"),
    "post page (anonymous)": (POST_ROUTE, "GET", "visitor"),
    "post page (signed in)": (POST_ROUTE, "GET", "member"),
    "vote toggle": ("/b/<slug:board_slug>/p/<int:post_id>/vote/", "POST", "member"),
    "comment": ("/b/<slug:board_slug>/p/<int:post_id>/comments/", "POST", "member"),
    "roadmap": ("/roadmap/", "GET", "visitor"),
    "search": ("/search/", "GET", "visitor"),
    "similar posts": ("/search/similar/", "GET", "member"),
}  # fmt: skip
CPU_SAMPLE = re.compile(
    r'^monoboard_http_request_cpu_seconds_(sum|count)\{method="([^"]*)",route="([^"]*)",'
    r'viewer="([^"]*)"\} (\S+)$',
    re.M,
)


def route_cpu(base: str) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(route, method, viewer) -> (CPU seconds, requests) so far, from the product's /metrics."""
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
            text = response.read().decode()
    except OSError:
        return {}
    found: dict[tuple[str, str, str], list[float]] = {}
    for kind, method, route, viewer, value in CPU_SAMPLE.findall(text):
        pair = found.setdefault((route, method, viewer), [0.0, 0.0])
        pair[0 if kind == "sum" else 1] += float(value)
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


def add_route_cpu(
    rows: list[Row],
    before: dict[tuple[str, str, str], tuple[float, float]],
    after: dict[tuple[str, str, str], tuple[float, float]],
) -> None:
    """Each Locust row's CPU per request: its route's growth over the measured part."""
    for row in rows:
        key = LOCUST_ROUTES.get(row.endpoint)
        if key is None or key not in after:
            continue
        seconds = after[key][0] - before.get(key, (0.0, 0.0))[0]
        count = after[key][1] - before.get(key, (0.0, 0.0))[1]
        if count > 0:
            row.cpu_ms = 1000 * seconds / count


def cache_ratios(base: str) -> dict[str, tuple[float, float]]:
    """Cache-aside hits and misses per cache, from the product's /metrics."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
        text = response.read().decode()
    found: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        if not line.startswith("monoboard_cache_aside_total{"):
            continue
        labels, _, value = line.partition("} ")
        fields = dict(part.split("=", 1) for part in labels.split("{", 1)[1].split(","))
        name, result = fields["cache"].strip('"'), fields["result"].strip('"')
        hits, misses = found.get(name, (0.0, 0.0))
        found[name] = (hits + float(value), misses) if result == "hit" else (
            hits, misses + float(value)
        )  # fmt: skip
    return found


def _cache_notes(stage: str, base: str, notes: list[str]) -> None:
    ratios = cache_ratios(base)
    if ratios:
        notes.append(
            f"{stage}, cache-aside hit ratios over the whole run: "
            + ", ".join(
                f"{name} {hits / (hits + misses):.1%} of {hits + misses:,.0f}"
                for name, (hits, misses) in sorted(ratios.items())
                if hits + misses
            )
        )


#: Figures read from the product's own /metrics around the Locust run.
SERVER_FIGURES = (
    "monoboard_db_query_duration_seconds_count",
    "monoboard_db_query_duration_seconds_sum",
    "monoboard_sqlite_write_lock_wait_seconds_count",
    "monoboard_sqlite_write_lock_wait_seconds_sum",
    "monoboard_jobs_ready",
)


def server_figures(base: str) -> dict[str, float]:
    """The product's own counters: where a slow answer spent its time."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
        text = response.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in SERVER_FIGURES:
            found[name] = float(value)
    return found


def describe_server(before: dict[str, float], after: dict[str, float]) -> str:
    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    queries = grew("monoboard_db_query_duration_seconds_count")
    parts = [
        f"{queries:,.0f} queries taking {grew('monoboard_db_query_duration_seconds_sum'):.1f} s",
    ]
    waits = grew("monoboard_sqlite_write_lock_wait_seconds_count")
    if waits:
        waited = grew("monoboard_sqlite_write_lock_wait_seconds_sum")
        parts.append(f"{waits:,.0f} SQLite write-lock waits totalling {waited:.1f} s")
    parts.append(f"{after.get('monoboard_jobs_ready', 0):,.0f} jobs waiting at the end")
    return "; ".join(parts)


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


STAGE2, STAGE3 = "2 pgbouncer", "3 nginx, 2 instances"
STAGE4_EDGE = "4 edge cache, 2 instances"


def proxy_cost(rows: list[Row]) -> list[str]:
    """Stage 3's req/s as a share of stage 2's, per endpoint measured in both."""
    two = {(r.endpoint, r.tool): r for r in rows if r.stage == STAGE2}
    notes = []
    for r in rows:
        base = two.get((r.endpoint, r.tool))
        if r.stage == STAGE3 and base and base.rps:
            notes.append(
                f"stage 3 / stage 2, {r.endpoint} ({r.tool}): {r.rps / base.rps:.2f}x req/s, "
                f"p95 {r.p95:.1f} vs {base.p95:.1f} ms"
            )
    return notes


def table(rows: list[Row], ceiling: Row | None) -> str:
    head = (
        "| stage | endpoint | tool | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| CPU ms/req | req/s vs nginx static |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in ([ceiling] if ceiling else []) + rows:
        ratio = f"{r.rps / ceiling.rps:.3f}" if ceiling else "n/a"
        cpu_ms = f"{r.cpu_ms:.2f}" if r.cpu_ms is not None else "-"
        lines.append(
            f"| {r.stage} | {r.endpoint} | {r.tool} | {r.rps:,.0f} | {r.p50:.1f} | {r.p95:.1f} | "
            f"{r.p99:.1f} | {r.errors} | {cpu_ms} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="fider")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--users", type=int, default=50, help="Locust users in the mix")
    parser.add_argument(
        "--warmup",
        type=int,
        default=60,
        help="at most this many seconds for Locust users to start (sign in) before measuring",
    )
    parser.add_argument(
        "--mix",
        choices=sorted(MIXES),
        default="realistic",
        help="realistic: visitors and members; members: signed-in members only",
    )
    parser.add_argument(
        "--email",
        choices=("instant", "none"),
        default="instant",
        help="every member's email delivery: none measures the requests without email sending",
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--workers", type=int, help="web worker processes (default: the product's WEB_WORKERS)"
    )
    parser.add_argument(
        "--threads", type=int, help="threads per web worker (default: the product's WEB_THREADS)"
    )
    parser.add_argument("--stages", default="sqlite,postgres,pgbouncer,stage3,stage4")
    parser.add_argument(
        "--mix-only", action="store_true", help="only the Locust mix, no fixed wrk endpoints"
    )
    parser.add_argument(
        "--no-mix",
        "--fixed-only",
        dest="no_mix",
        action="store_true",
        help="only the fixed wrk endpoints, no Locust mix",
    )
    args = parser.parse_args()
    from django.conf import settings  # the product's defaults, for the report

    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    work = ROOT / "var" / "bench"
    base_env = {
        "SECRET_KEY": "bench-" + "k" * 50,
        "METRICS_ROLLUPS": "1",
        **({"WEB_WORKERS": str(args.workers)} if args.workers else {}),
        **({"WEB_THREADS": str(args.threads)} if args.threads else {}),
    }
    rows: list[Row] = []
    notes: list[str] = []
    with nginx_static() as static_url:
        ceiling = (
            wrk(
                static_url,
                connections=args.connections,
                seconds=args.duration,
                label="static file (nginx)",
                stage="ceiling",
            )
            if static_url
            else None
        )
    if "sqlite" in stages:
        data = work / f"sqlite-{args.size}"
        rows += measure_stage(
            "1 sqlite", {**base_env, "MONOBOARD_DATA_DIR": str(data)}, args, data / "seeded", notes
        )
    if {"postgres", "pgbouncer", "stage3", "stage4"} & set(stages):
        rows += _postgres_stages(stages, base_env, args, work, notes)
    notes += proxy_cost(rows)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    when = datetime.datetime.now(datetime.UTC)
    report = (
        f"# Benchmark {when:%Y-%m-%d %H:%M} UTC, size {args.size}\n\n"
        f"- machine: {machine()}\n- commit: {commit}\n- stages: {', '.join(stages)}\n"
        f"- {args.duration}s per measurement, wrk c={args.connections}, Locust u={args.users} "
        f"({args.mix} mix, measured once all users had signed in), "
        f"{args.workers or settings.SERVE_WORKERS} web workers x "
        f"{args.threads or settings.SERVE_THREADS} threads\n\n{table(rows, ceiling)}\n"
        + "".join(f"\n- {note}" for note in notes)
        + ("\n" if notes else "")
    )
    print("\n" + report)
    out = ROOT / "bench" / "results" / f"{when:%Y%m%d-%H%M}-{args.size}.md"
    out.write_text(report)
    print(f"written to {out.relative_to(ROOT)}")


def _postgres_stages(
    stages: list[str],
    base_env: dict[str, str],
    args: argparse.Namespace,
    work: Path,
    notes: list[str],
) -> list[Row]:
    from monoboard.testing import servers

    rows: list[Row] = []
    if not servers.servers_available():
        print("PostgreSQL is not installed (scripts/pg-install): skipping stage 2", flush=True)
        return rows
    with servers.postgres_server() as pg:
        data = work / f"pg-{args.size}"
        marker = Path(tempfile.mkdtemp()) / "seeded"  # a new cluster every run
        env = {
            **base_env,
            "MONOBOARD_DATA_DIR": str(data),
            "DATABASE_URL": pg.url(),
            "DB_POOL": "psycopg",
        }
        if "postgres" in stages:
            rows += measure_stage("2 postgres", env, args, marker, notes, (pg.process.pid,))
        if {"pgbouncer", "stage3"} & set(stages):
            with servers.pgbouncer_server(pg) as bouncer:
                pooled = {
                    **env,
                    "DATABASE_URL": bouncer.url(),
                    "DB_POOL": "pgbouncer",
                    # LISTEN/NOTIFY (events, job wake-ups) needs the server itself.
                    "DATABASE_DIRECT_URL": pg.url(),
                }
                db_pids = (pg.process.pid, bouncer.process.pid)
                if "pgbouncer" in stages:
                    rows += measure_stage(STAGE2, pooled, args, marker, notes, db_pids)
                if "stage3" in stages:
                    rows += _stage3(pooled, args, marker, notes, db_pids)
        if "stage4" in stages:
            rows += _stage4(env, args, marker, notes, pg)
    return rows


def _stage3(
    env: dict[str, str],
    args: argparse.Namespace,
    marker: Path,
    notes: list[str],
    db_pids: tuple[int, ...],
) -> list[Row]:
    """Two instances behind nginx, with stage 2's number of web processes split between them."""
    from django.conf import settings

    from monoboard.testing.stage3 import nginx_binary, stage3_site

    if nginx_binary() is None:
        print("nginx is not installed (scripts/nginx-install): skipping stage 3", flush=True)
        return []
    per_instance = max(1, (args.workers or settings.SERVE_WORKERS) // 2)

    @contextlib.contextmanager
    def behind_nginx() -> Iterator[str]:
        # nginx's workers (nobody) serve the collected static files.
        static = Path(env["MONOBOARD_DATA_DIR"]) / "static"
        subprocess.run(["chmod", "-R", "a+rX", str(static.parent)], check=False)
        directory = Path(tempfile.mkdtemp(prefix="bench-stage3-"))
        try:
            with stage3_site(
                directory=directory,
                env={**os.environ, **env},
                instances=2,
                web_workers=per_instance,
            ) as site:
                yield site.url.rstrip("/")
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    notes.append(f"stage 3: 2 instances x {per_instance} web workers behind one nginx")
    return measure_stage(STAGE3, env, args, marker, notes, db_pids, serve=behind_nginx)


def _stage4(
    env: dict[str, str],
    args: argparse.Namespace,
    marker: Path,
    notes: list[str],
    pg: servers_module.PostgresServer,
) -> list[Row]:
    """Stage 2's PostgreSQL plus a streaming replica and Redis (cache-aside, shared cache)."""
    from monoboard.testing import servers

    if not servers.redis_available():
        print("Redis is not installed (scripts/redis-install): skipping stage 4", flush=True)
        return []
    if not marker.exists():  # seed before the replica copies the cluster
        seed_site(env, args.size, marker)
    with servers.replica_server(pg) as replica, servers.redis_server() as redis:
        stage4 = {**env, "DATABASE_REPLICA_URLS": replica.url(), "REDIS_URL": redis.url()}
        rows = measure_stage(
            "4 redis+replica", stage4, args, marker, notes, (pg.process.pid, replica.process.pid)
        )
        return rows + _edge(stage4, args, notes)


def _edge(env: dict[str, str], args: argparse.Namespace, notes: list[str]) -> list[Row]:
    """Stage 4's site as two instances behind nginx with the edge cache on: the
    pages every visitor shares come from nginx; a member's go to an instance."""
    from django.conf import settings

    from monoboard.testing.stage3 import nginx_binary, stage3_site

    if nginx_binary() is None:
        print("nginx is not installed (scripts/nginx-install): no edge-cache row", flush=True)
        return []
    print(f"== stage {STAGE4_EDGE}", flush=True)
    seconds = int(settings.EDGE_CACHE_SECONDS) or 5
    per_instance = max(1, (args.workers or settings.SERVE_WORKERS) // 2)
    site = json.loads(manage("shell", "-c", DISCOVER, env=env).strip().splitlines()[-1])
    subprocess.run(["chmod", "-R", "a+rX", env["MONOBOARD_DATA_DIR"]], check=False)
    directory = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    rows: list[Row] = []
    try:
        with stage3_site(
            directory=directory,
            env={**os.environ, **env},
            instances=2,
            web_workers=per_instance,
            edge_cache_seconds=seconds,
        ) as served:
            board = f"{served.url}b/{site['boards'][0]}/"
            wrk(board, connections=4, seconds=3, label="warm-up", stage=STAGE4_EDGE)
            edge_state = _edge_state(board)
            edge_rows = (
                (board, "board page (anonymous, edge cache)", 1, ""),
                (board, "board page (anonymous, edge cache)", args.connections, ""),
                (board, "board page (signed in, past the edge)", args.connections, site["cookie"]),
            )
            app = cpu.serve_processes(env["MONOBOARD_DATA_DIR"])
            rows += wrk_rows(edge_rows, args, STAGE4_EDGE, app)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    notes.append(
        f"stage 4 edge: 2 instances x {per_instance} web workers behind nginx with the edge "
        f"cache on (EDGE_CACHE_SECONDS={seconds}); a visitor's second request answered "
        f"X-Cache-Status {edge_state}"
    )
    return rows


def _edge_state(url: str) -> str:
    """X-Cache-Status of a visitor's request right after another one."""
    parts = urllib.parse.urlsplit(url)
    for _ in range(2):
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        try:
            connection.request("GET", parts.path)
            response = connection.getresponse()
            response.read()
            state = response.getheader("X-Cache-Status", "none")
        finally:
            connection.close()
    return state


if __name__ == "__main__":
    main()
