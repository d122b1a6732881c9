"""Similar-post lookup latency at 100k posts.

    .venv/bin/python bench/similar_bench.py [--posts 100000] [--queries 300]

Builds a throwaway SQLite database (``manage.py migrate``, ``manage.py seed``,
``manage.py reindex``) in a temporary directory, then times the similar-title
lookup the new-post form makes for a few hundred realistic half-typed titles
(the first words of existing titles, some with a typo, some cut mid-word),
all on one board that holds every post (the worst case). Prints p50/p95/p99
and writes the table to bench/results/similar-<date>.md. Also times the
full-text search page query for the same words, for reference.

Semantic duplicates: ``manage.py embedposts`` computes every post's title
vector (timed: the precompute figure), then the blended suggestion the
new-post form makes (lexical + semantic, ``search.selectors.similar_ids``)
and the semantic look-up alone are timed for the same titles, once the
vectors are in memory (that load is timed apart: a process runs it in a
thread on its first look-up).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def half_typed(title: str, rng: random.Random) -> str:
    """What someone has typed so far when a similar idea already exists."""
    words = title.split()
    text = " ".join(words[: rng.randint(2, max(2, min(5, len(words))))])
    roll = rng.random()
    if roll < 0.3 and len(text) > 6:  # a typo: two letters swapped
        i = rng.randrange(1, len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    elif roll < 0.6 and len(text) > 8:  # still typing the last word
        text = text[: -rng.randint(1, 3)]
    return text


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the database here")
    args = parser.parse_args()

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="similar-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "bench.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db_path}", MONOBOARD_DATA_DIR=str(data_dir))
    started = time.monotonic()
    built = not db_path.exists()
    if built:
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(
            env,
            "seed",
            "--users", "500",
            "--boards", "1",
            "--posts", str(args.posts),
            "--votes", str(args.posts),
            "--comments", str(args.posts // 4),
            "--seed", "1",
            "--no-progress",
        )  # fmt: skip
        manage(env, "reindex", "--no-progress")
    build_s = time.monotonic() - started
    embed_started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "embedposts", "--no-progress"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    embed_s = time.monotonic() - embed_started
    embedded = int(done.stdout.split()[1])  # "Computed N post vectors (...)."

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from monoboard.accounts.models import User
    from monoboard.boards.models import Board, Post
    from monoboard.search import backend
    from monoboard.search.selectors import similar_ids
    from monoboard.similar import index as vector_index
    from monoboard.similar import selectors as semantic
    from monoboard.similar.models import PostVector

    search = backend()
    board = Board.objects.get()
    viewer = User.objects.filter(is_active=True).first()
    total_posts = Post.objects.count()
    rng = random.Random(7)
    picked = rng.sample(list(Post.objects.values_list("pk", flat=True)), args.queries)
    titles = list(Post.objects.filter(pk__in=picked).order_by("pk").values_list("title", flat=True))
    typed = [half_typed(t, rng) for t in titles]

    for text in typed[:20]:  # warm the page cache
        search.similar(text, viewer=viewer, board=board)
    found = sum(bool(search.similar(text, viewer=viewer, board=board)) for text in typed)

    def timed(call: Callable[[str], object]) -> tuple[list[float], list[float]]:
        """Wall and CPU milliseconds of ``call`` for each typed title. CPU time
        is this thread's own: on a shared machine it says what a look-up costs
        when it need not wait for a core."""
        wall: list[float] = []
        cpu: list[float] = []
        for text in typed:
            w0, c0 = time.perf_counter(), time.thread_time()
            call(text)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        return wall, cpu

    similar_ms = timed(lambda text: search.similar(text, viewer=viewer, board=board))
    vectors = PostVector.objects.count()
    t0 = time.perf_counter()
    vector_index.warm()  # what the first look-up of a process starts in a thread
    matrix_load_ms = (time.perf_counter() - t0) * 1000
    semantic_ms = timed(lambda text: semantic.title_neighbours(text, board=board))
    blended_ms = timed(lambda text: similar_ids(text, viewer=viewer, board=board))
    search_ms = timed(lambda text: search.search(text, viewer=viewer, board=board, limit=20))

    def row(name: str, values: tuple[list[float], list[float]]) -> str:
        wall, cpu = values
        return (
            f"| {name} | {len(wall)} | {statistics.median(wall):.1f} | "
            f"{percentile(wall, 0.95):.1f} | {percentile(wall, 0.99):.1f} | {max(wall):.1f} | "
            f"{statistics.median(cpu):.1f} | {percentile(cpu, 0.95):.1f} |"
        )

    load = os.getloadavg()  # other work on the machine inflates the figures
    p95 = percentile(similar_ms[0], 0.95)
    blended_p95 = percentile(blended_ms[0], 0.95)
    semantic_p95 = percentile(semantic_ms[0], 0.95)
    table = "\n".join(
        [
            "| lookup | queries | p50 ms | p95 ms | p99 ms | max ms | CPU p50 ms | CPU p95 ms |",
            "|---|---|---|---|---|---|---|---|",
            row("similar titles, lexical only", similar_ms),
            row("semantic neighbours only", semantic_ms),
            row("similar titles, blended (new-post form)", blended_ms),
            row("full-text search (search page)", search_ms),
        ]
    )
    now = datetime.now(UTC)
    report = "\n".join(
        [
            f"# Similar-post lookup benchmark, {now:%Y-%m-%d %H:%M} UTC",
            "",
            f"- command: `.venv/bin/python bench/similar_bench.py --posts {args.posts}"
            f" --queries {args.queries}`",
            f"- git commit: {git_commit()}",
            f"- machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            f"- database: SQLite {sqlite3.sqlite_version},"
            f" {total_posts:,} posts on one board, backend `{type(search).__name__}`",
            (f"- data built in {build_s:.0f} s (seed + reindex);" if built else "- data reused;")
            + f" load average during the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f};"
            f" {found} of {len(typed)} half-typed titles got at least one lexical suggestion",
            (
                f"- `manage.py embedposts`: {embedded:,} vectors computed in {embed_s:.1f} s"
                f" ({embedded / max(embed_s, 1e-9):,.0f} posts/s, including process start);"
                if embedded
                else "- vectors already stored;"
            )
            + f" {vectors:,} vectors; loading them into memory {matrix_load_ms:.0f} ms",
            "",
            table,
            "",
            f"Target: p95 at most {TARGET_P95_MS:.0f} ms for similar titles:"
            f" lexical {'met' if p95 <= TARGET_P95_MS else 'NOT met'} ({p95:.1f} ms),"
            f" semantic {'met' if semantic_p95 <= TARGET_P95_MS else 'NOT met'}"
            f" ({semantic_p95:.1f} ms),"
            f" blended {'met' if blended_p95 <= TARGET_P95_MS else 'NOT met'}"
            f" ({blended_p95:.1f} ms).",
            "",
        ]
    )
    print(report)
    out = ROOT / "bench" / "results" / f"similar-{now:%Y-%m-%d}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
