"""Precision of similar-idea suggestions on labelled paraphrase pairs.

    .venv/bin/python bench/similar_precision.py

Reads bench/data/paraphrases.tsv (written for this purpose: feedback-style
titles in pairs that mean the same in other words, titles with no duplicate,
and distractor posts that share words with them), builds a throwaway SQLite
database, posts every existing title and distractor on one board through the
services, runs the event consumers (search index, title vectors), and then
types each query title into the three methods:

- lexical: the search backend's similar titles (what the product did before),
- semantic: the nearest titles by cosine, at least ``SIMILAR_SEMANTIC_MIN``,
- blended: what the new-post form now shows (``search.selectors.similar_ids``).

For each method: how many queries got a suggestion, how many top suggestions
were the labelled duplicate (precision = right tops / queries with a
suggestion, where any suggestion for a title without a duplicate is wrong;
recall = right tops / pairs), and how often the duplicate was among the five.

Then the admins' triage list: every typed title is also posted, on a second
board, beside the existing titles; the list's pairs at several thresholds
are compared with the labelled pairs. Writes bench/results/similar-precision-<date>.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "paraphrases.tsv"


def load() -> tuple[list[tuple[str, str]], list[str], list[str]]:
    pairs: list[tuple[str, str]] = []
    new: list[str] = []
    distractors: list[str] = []
    for line in DATA.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, typed, *rest = line.split("\t")
        if kind == "pair":
            pairs.append((typed, rest[0]))
        elif kind == "new":
            new.append(typed)
        elif kind == "distractor":
            distractors.append(typed)
        else:
            raise SystemExit(f"{DATA}: unknown kind {kind!r}")
    return pairs, new, distractors


def main() -> int:
    pairs, new, distractors = load()
    data_dir = Path(tempfile.mkdtemp(prefix="similar-precision-"))
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        MONOBOARD_DATA_DIR=str(data_dir),
    )
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monoboard.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from monoboard.accounts.models import Role, User
    from monoboard.boards import services
    from monoboard.boards.models import Board
    from monoboard.core.consumers import drain
    from monoboard.search import backend
    from monoboard.search.selectors import similar_ids
    from monoboard.similar import selectors as semantic

    author = User.objects.create_user(email="bench@example.com", password="x" * 12)
    admin = User.objects.create_user(email="admin@example.com", password="x" * 12, role=Role.ADMIN)
    board = Board.objects.create(name="Ideas", slug="ideas")
    started = time.monotonic()
    existing: dict[str, int] = {}
    for title in [t for _, t in pairs] + distractors:
        existing[title] = services.post_create(board=board, author=author, title=title, body="").pk
    drain()
    build_s = time.monotonic() - started

    queries: list[tuple[str, int | None]] = [(q, existing[t]) for q, t in pairs]
    queries += [(q, None) for q in new]

    def lexical(title: str) -> list[int]:
        return [hit.post_id for hit in backend().similar(title, viewer=author, board=board)]

    def semantic_only(title: str) -> list[int]:
        return [
            pk
            for pk, cos in semantic.title_neighbours(title, board=board)
            if cos >= settings.SIMILAR_SEMANTIC_MIN
        ][:5]

    def blended(title: str) -> list[int]:
        return similar_ids(title, viewer=author, board=board)

    rows = []
    for name, method in (("lexical", lexical), ("semantic", semantic_only), ("blended", blended)):
        shown = right = among = 0
        for title, wanted in queries:
            found = method(title)
            shown += bool(found)
            right += bool(found) and found[0] == wanted
            among += wanted is not None and wanted in found
        rows.append(
            f"| {name} | {shown} | {right} | {right / max(shown, 1):.0%} |"
            f" {right / len(pairs):.0%} | {among / len(pairs):.0%} |"
        )

    # The triage list: typed titles posted beside the existing ones.
    triage = Board.objects.create(name="Triage", slug="triage")
    label: dict[frozenset[int], bool] = {}
    ids: dict[str, int] = {}
    for title in [t for _, t in pairs] + distractors + [q for q, _ in pairs] + new:
        if title not in ids:
            ids[title] = services.post_create(board=triage, author=author, title=title, body="").pk
    drain()
    for typed, title in pairs:
        label[frozenset((ids[typed], ids[title]))] = True
    triage_rows = []
    for threshold in (0.5, 0.6, 0.7, 0.8):
        found_pairs = semantic.duplicate_pairs(
            admin, threshold=threshold, board=triage, limit=10_000
        )
        correct = sum(frozenset((p.first.pk, p.second.pk)) in label for p in found_pairs)
        triage_rows.append(
            f"| {threshold:.1f} | {len(found_pairs)} | {correct} |"
            f" {correct / max(len(found_pairs), 1):.0%} | {correct / len(pairs):.0%} |"
        )

    now = datetime.now(UTC)
    report = "\n".join(
        [
            f"# Similar-idea precision on labelled pairs, {now:%Y-%m-%d %H:%M} UTC",
            "",
            "- command: `.venv/bin/python bench/similar_precision.py`",
            f"- data: `bench/data/paraphrases.tsv`: {len(pairs)} duplicate pairs,"
            f" {len(new)} titles with no duplicate, {len(distractors)} distractor posts"
            f" ({len(existing)} posts on the board, built in {build_s:.1f} s)",
            f"- `SIMILAR_SEMANTIC_MIN` {settings.SIMILAR_SEMANTIC_MIN}",
            "",
            "| method | queries with a suggestion | right top suggestion | precision"
            " | recall (top) | duplicate among the five |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Triage list (pairs among {len(ids)} posts on one board:"
            " every typed and existing title):",
            "",
            "| threshold | pairs listed | labelled duplicates | precision | recall |",
            "|---|---|---|---|---|",
            *triage_rows,
            "",
        ]
    )
    print(report)
    out = ROOT / "bench" / "results" / f"similar-precision-{now:%Y-%m-%d}.md"
    out.write_text(report)
    print(f"written to {out.relative_to(ROOT)}")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
