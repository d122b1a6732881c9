"""An import SIGKILLed midway, run again, ends exactly as a clean import: nothing doubled.

Real processes against this test run's database file (or PostgreSQL).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count

from monoboard.accounts.models import User
from monoboard.boards.models import Comment, Post, Vote
from monoboard.imports.models import ImportedObject, ImportRun, RunState
from monoboard.jobs.tests.conftest import child_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POSTS, PEOPLE = 3_000, 40


def write_source(path: Path) -> tuple[Counter[str], Counter[str]]:
    """A generic CSV; returns the votes and comments each post title should end with."""
    votes: Counter[str] = Counter()
    comments: Counter[str] = Counter()
    header = ["type", "id", "post_id", "title", "body", "status", "author_email", "created_at"]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        for n in range(POSTS):
            title, status = f"Idea {n}", ("open", "planned")[n % 2]
            author = f"person{n % PEOPLE}@example.com"
            out.writerow(["post", f"p{n}", "", title, f"Body {n}", status, author, "2024-01-01"])
            for v in range(n % 4):
                voter = f"person{(n + v) % PEOPLE}@example.com"
                out.writerow(["vote", "", f"p{n}", "", "", "", voter, "2024-01-02T10:00:00Z"])
                votes[title] += 1
            if n % 3 == 0:
                who = f"person{(n + 1) % PEOPLE}@example.com"
                out.writerow(["comment", f"c{n}", f"p{n}", "", f"On {n}", "", who, "2024-01-03"])
                comments[title] += 1
    return votes, comments


def start_import(path: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "MONOBOARD_DATA_DIR": str(tmp_path / "data"),
    }
    command = [
        sys.executable, str(settings.BASE_DIR / "manage.py"), "importfrom", "--from", "csv",
        "--file", str(path), "--map-status=open=Open", "--map-status=planned=Planned",
        "--batch-size", "25", "--no-progress",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_an_import_killed_midway_resumes_without_duplicates(admin: User, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    votes, comments = write_source(source)

    proc = start_import(source, tmp_path)
    deadline = time.monotonic() + 60
    while ImportedObject.objects.filter(kind="post").count() < POSTS // 3:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < deadline, "the import did not get going"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    partial = Post.objects.count()
    assert 0 < partial < POSTS
    # Each batch committed whole: every post written has its map row, and no more.
    assert ImportedObject.objects.filter(kind="post").count() == partial
    assert ImportRun.objects.get().state == RunState.RUNNING

    proc = start_import(source, tmp_path)
    output = proc.communicate(timeout=240)[0].decode()
    assert proc.returncode == 0, output
    assert "Resuming the import" in output

    run = ImportRun.objects.get()
    assert run.state == RunState.DONE
    # The same as a clean import of the file: every row once.
    assert Post.objects.count() == POSTS
    assert Vote.objects.count() == sum(votes.values())
    assert Comment.objects.count() == sum(comments.values())
    assert User.objects.count() == PEOPLE + 1
    assert not Post.objects.values("title").annotate(n=Count("id")).filter(n__gt=1).exists()
    for title, n, c in Post.objects.values_list("title", "vote_count", "comment_count"):
        assert (n, c) == (votes[title], comments[title]), title
    kinds = Counter(ImportedObject.objects.values_list("kind", flat=True))
    assert kinds["post"] == POSTS and kinds["comment"] == sum(comments.values())
    assert kinds["user"] == PEOPLE
