"""Growth test: board page and search p95 as the site grows (10k, 100k, 1M posts).

    .venv/bin/python bench/growth.py --sizes 10k,100k,1m --duration 10

Each size is seeded once into var/bench/sqlite-<size> (reused on later runs),
served on stage 1, and measured with wrk at one connection, so the figure is
the cost of one request rather than of queueing, with the anonymous page
cache off so every request builds its page. The target: p95 at 1M posts
within 1.5x of p95 at 10k, which holds when every list query is an index range
scan whose cost grows with the index depth, not with the table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")

from bench.run import DISCOVER, SIZES, Row, machine, seed_site, wrk
from bench.stack import ROOT, manage, product


def measure_size(size: str, duration: int) -> list[Row]:
    data = ROOT / "var" / "bench" / f"sqlite-{size}"
    # The page cache off: this measures what a page costs to build.
    env = {
        "MONOBOARD_DATA_DIR": str(data),
        "SECRET_KEY": "bench-" + "k" * 50,
        "PAGE_CACHE_SECONDS": "0",
    }
    seed_site(env, size, data / "seeded")
    site = json.loads(manage("shell", "-c", DISCOVER, env=env).strip().splitlines()[-1])
    rows = []
    with product(env) as base:
        board = f"{base}/b/{site['boards'][0]}/"
        targets = [
            (board, "board page, trending"),
            (board + "?sort=new", "board page, newest"),
            (board + "?sort=top", "board page, top"),
            (f"{base}/search/?q=dark+mode", "search 'dark mode'"),
            (f"{base}/search/similar/?board={site['boards'][0]}&title=export+to", "similar"),
        ]
        wrk(board, connections=2, seconds=2, label="warm-up", stage=size)
        for url, label in targets:
            row = wrk(url, connections=1, seconds=duration, label=label, stage=size)
            if row:
                rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    sizes = [s for s in args.sizes.split(",") if s in SIZES]
    by_size = {size: measure_size(size, args.duration) for size in sizes}
    first = by_size[sizes[0]]
    columns = " | ".join(f"p95 ms at {s}" for s in sizes)
    lines = [
        f"| endpoint | {columns} | ratio {sizes[-1]} / {sizes[0]} |",
        "|" + "---|" * (len(sizes) + 2),
    ]
    for index, row in enumerate(first):
        p95s = [by_size[s][index].p95 if index < len(by_size[s]) else float("nan") for s in sizes]
        ratio = p95s[-1] / p95s[0] if p95s[0] else float("nan")
        lines.append(f"| {row.endpoint} | {' | '.join(f'{v:.1f}' for v in p95s)} | {ratio:.2f} |")
    when = datetime.datetime.now(datetime.UTC)
    report = (
        f"# Growth test {when:%Y-%m-%d %H:%M} UTC\n\n- machine: {machine()}\n"
        f"- wrk at 1 connection, {args.duration}s per endpoint, stage 1 (SQLite), "
        "page cache off\n\n" + "\n".join(lines) + "\n"
    )
    print(report)
    out = ROOT / "bench" / "results" / f"{when:%Y%m%d-%H%M}-growth.md"
    out.write_text(report)
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
