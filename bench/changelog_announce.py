"""What publishing a changelog entry costs: the publish transaction, then the
announcement job that tells every follower of its posts once.

    .venv/bin/python bench/changelog_announce.py --posts 5 --voters 2000

A child process on a fresh SQLite site (``--postgres URL`` for a PostgreSQL
database you give it, which must be empty) makes ``--posts`` posts and
``--voters`` people, each voting for a random 1 to ``--posts`` of them (the
votes are inserted in bulk: seeding, not measured). It then publishes one
entry linking every post with "mark shipped" ticked and times:

- ``publish``: the request's transaction (status changes through the post
  status service, the entry, the events);
- ``announce``: the announcement job (one notification per person, one
  outbox email each, rendered), after the event-log consumers queued it.

Emails are queued, not sent. Prints one JSON line and a Markdown row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, random, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.db import transaction
from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Post, Vote
from monoboard.changelog import services
from monoboard.changelog.tasks import announce_entry
from monoboard.core import consumers
from monoboard.notifications.models import Notification, OutboxEmail

n_posts, n_voters = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(20261203)
admin = User.objects.create_user(email="admin@bench.example.com", password=None, role="admin")
board = boards.board_create(actor=admin, name="Features")
posts = [
    boards.post_create(board=board, author=admin, title=f"Idea number {n}")
    for n in range(n_posts)
]
users = User.objects.bulk_create(
    User(email=f"voter{i}@bench.example.com", name=f"Voter {i}") for i in range(n_voters)
)
votes = [
    Vote(post=post, user=user)
    for user in users
    for post in rng.sample(posts, rng.randint(1, n_posts))
]
Vote.objects.bulk_create(votes, batch_size=2000)
consumers.drain()
entry = services.entry_create(
    actor=admin, title="Spring release", body="What shipped.",
    post_ids=[p.pk for p in posts], mark_shipped=True,
)
consumers.drain()
t0 = time.perf_counter()
services.entry_publish(actor=admin, entry=entry)
publish_s = time.perf_counter() - t0
consumers.drain()  # queues the announcement job (and the webhook/search work)
from django.urls import reverse
reverse("changelog:list")  # a running worker has its URLconf loaded: not part of the figure
t0 = time.perf_counter()
told = announce_entry.call(entry.pk, admin.pk)
announce_s = time.perf_counter() - t0
print(json.dumps({
    "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    "posts": n_posts, "voters": n_voters, "votes": len(votes),
    "told": told,
    "notifications": Notification.objects.filter(event_key=f"changelog:{entry.pk}").count(),
    "emails": OutboxEmail.objects.filter(subject__contains="Spring release").count(),
    "publish_ms": round(publish_s * 1000, 1), "announce_s": round(announce_s, 2),
    "people_per_s": round(told / announce_s) if announce_s else None,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--postgres", default="", help="an empty PostgreSQL database URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="changelog-bench-") as data:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "monoboard.settings",
            "MONOBOARD_DATA_DIR": data,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DATABASE_URL", None)
        if args.postgres:
            env["DATABASE_URL"] = args.postgres
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.posts), str(args.voters)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        sys.exit(out.stderr[-4000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    print(
        "| database | posts | voters | votes | told | emails | publish ms | announce s "
        "| people/s |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        f"| {result['database']} | {result['posts']} | {result['voters']} | {result['votes']} "
        f"| {result['told']} | {result['emails']} | {result['publish_ms']} "
        f"| {result['announce_s']} | {result['people_per_s']} |"
    )


if __name__ == "__main__":
    main()
