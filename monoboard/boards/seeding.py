"""Realistic demo data in bulk, for demos, benchmarks and capacity tests.

This is a bulk data generator, so unlike the rest of the product it writes
models directly with ``bulk_create`` instead of calling services.py: going
through the services would cost one transaction and one recount per row,
hours for a million votes. It keeps the same invariants the services keep:
``vote_count``, ``comment_count`` and ``hot_score`` are stored exactly, a
user votes at most once per post, every post has a status. It emits no domain
events, so anything fed by them (a search index, notifications) must be
rebuilt by its own command afterwards.

Data is added to what is there: new users, boards and posts; votes and
comments go on the new posts only, from any user. Every user, board, post and
tag made here is marked ``is_demo``, so :func:`remove_demo` takes away exactly
that (votes and comments go with their posts), and :func:`real_content`
tells whether the site already holds boards or posts people made.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from monoboard.accounts.models import Role, User
from monoboard.boards.models import Board, Comment, Post, Status, Tag, Vote
from monoboard.boards.ranking import hot_score
from monoboard.lib.markdown import render_markdown

BATCH = 5_000
DEMO_PASSWORD = "demo password"  # noqa: S105  (documented demo credential)
YEAR = timedelta(days=365)


# --- Word lists -----------------------------------------------------------------------

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Ben",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Elif",
    "Emma",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Ivan",
    "Jonas",
    "Julia",
    "Kai",
    "Kofi",
    "Lea",
    "Leo",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Mila",
    "Nadia",
    "Noah",
    "Omar",
    "Priya",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Tariq",
    "Theo",
    "Uma",
    "Vera",
    "Yuki",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Adeyemi",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kato",
    "Kowalski",
    "Larsen",
    "Mendes",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Underwood",
    "Varga",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
]
BOARDS = (
    ("Feature requests", "Ideas for what we should build next."),
    ("Bug reports", "Something broken? Tell us what happened and what you expected."),
    ("Integrations", "Connections to the other tools you use every day."),
    ("Mobile app", "Ideas and problems with the iOS and Android apps."),
    ("API and developers", "Endpoints, webhooks and SDKs."),
    ("Billing", "Plans, invoices and payment methods."),
)
TAGS = (
    ("UI", "#2563eb"),
    ("Performance", "#d97706"),
    ("Mobile", "#db2777"),
    ("Integrations", "#0891b2"),
    ("Accessibility", "#16a34a"),
    ("Reporting", "#7c3aed"),
)
_VERBS = (
    "Add",
    "Allow",
    "Support",
    "Improve",
    "Show",
    "Let us customise",
    "Export",
    "Sync",
    "Speed up",
    "Simplify",
    "Remember",
    "Bulk edit",
    "Filter",
    "Schedule",
    "Share",
)
_THINGS = (
    "dark mode",
    "CSV export",
    "two-factor sign-in",
    "Slack notifications",
    "keyboard shortcuts",
    "saved filters",
    "custom fields",
    "email digests",
    "calendar view",
    "SSO with Okta",
    "recurring tasks",
    "file attachments",
    "audit log",
    "webhooks",
    "a public API",
    "team permissions",
    "offline mode",
    "Jira sync",
    "usage reports",
    "due date reminders",
    "markdown in comments",
    "multiple workspaces",
    "GitHub integration",
    "search history",
)
_CONTEXTS = (
    "",
    "",
    "",
    " on the dashboard",
    " for admins",
    " in the mobile app",
    " for teams",
    " per project",
    " in reports",
    " for guests",
    " on the board page",
)
_SENTENCES = (
    "We use this every day and it would save our team a lot of time.",
    "Right now we have to do it by hand, which is slow and error-prone.",
    "Several of our customers have asked for this in the last month.",
    "Competitors already offer something similar.",
    "Ideally it would work the same way on desktop and mobile.",
    "A simple first version would already help a lot.",
    "It should respect the existing permissions.",
    "We would happily pay more for this.",
    "This is the main thing stopping us from rolling it out to the whole company.",
    "Our workaround is a spreadsheet, and nobody likes it.",
    "It would also make onboarding new people much easier.",
    "Please make it configurable per workspace.",
    "Even a weekly summary by email would be a good start.",
    "The current behaviour is confusing for new users.",
    "It gets slow once a project has more than a few hundred items.",
)
_REPLIES = (
    "+1, we need this too.",
    "Same here, this would be a big help for our team.",
    "Any update on this?",
    "We worked around it with a script for now, but a built-in option would be better.",
    "Would this also cover the mobile app?",
    "This is the one feature we miss most.",
    "Agreed. Please also think about the API side.",
    "Thanks for considering it!",
    "Our admins have asked for this several times.",
    "It would be great if it worked with our existing setup.",
)


def post_title(rng: random.Random) -> str:
    return f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}{rng.choice(_CONTEXTS)}"


def post_body(rng: random.Random) -> str:
    sentences = rng.sample(_SENTENCES, k=rng.randint(1, 3))
    paragraphs = [" ".join(sentences[:2]), *sentences[2:]]
    return "\n\n".join(paragraphs)


def comment_body(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(_REPLIES)
    return f"{rng.choice(_REPLIES)} {rng.choice(_SENTENCES)}"


@dataclass(frozen=True)
class Plan:
    users: int = 50
    boards: int = 3
    posts: int = 200
    votes: int = 2_000
    comments: int = 400
    seed: int | None = None


#: Fider's published anchor shape (one board).
FIDER = Plan(users=500, boards=1, posts=2_000, votes=20_000, comments=5_000)


class PlanError(ValueError):
    """The requested amounts cannot be produced on this site."""


@dataclass
class Seeded:
    users: int = 0
    boards: int = 0
    posts: int = 0
    votes: int = 0
    comments: int = 0


def check_plan(plan: Plan) -> None:
    """Refuse impossible plans before anything is written."""
    for name in ("users", "boards", "posts", "votes", "comments"):
        if getattr(plan, name) < 0:
            raise PlanError(f"--{name} must be zero or more, not {getattr(plan, name)}.")
    users = User.objects.count() + plan.users
    if plan.posts and not users:
        raise PlanError("--posts needs authors: pass --users 1 or more.")
    if plan.posts and not plan.boards and not Board.objects.exists():
        raise PlanError("--posts needs a board to post on: pass --boards 1 or more.")
    if plan.posts and not Status.objects.exists():
        raise PlanError("Posts need a status and none exist: create one in the settings first.")
    if plan.votes > users * plan.posts:
        raise PlanError(
            f"--votes {plan.votes} is more than the {users} users x {plan.posts} new posts "
            f"= {users * plan.posts} distinct votes possible (one vote per user and post)."
        )
    if plan.comments and not plan.posts:
        raise PlanError("--comments go on the new posts: pass --posts 1 or more.")


def _batches[M: models.Model](items: Iterable[M], size: int = BATCH) -> Iterator[list[M]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _insert[M: models.Model](
    model: type[M], rows: Iterable[M], total: int, label: str, progress: bool
) -> list[M]:
    """bulk_create ``rows`` in batches, one transaction per batch; returns the saved rows."""
    saved: list[M] = []
    with tqdm(total=total, desc=label, unit=" rows", disable=not progress, leave=True) as bar:
        for chunk in _batches(rows):
            with transaction.atomic():
                saved.extend(model._default_manager.bulk_create(chunk))
            bar.update(len(chunk))
    return saved


def _insert_counted[M: models.Model](
    model: type[M], rows: Iterable[M], total: int, label: str, progress: bool
) -> int:
    """Like :func:`_insert` but keeps nothing in memory (for the big tables)."""
    count = 0
    with tqdm(total=total, desc=label, unit=" rows", disable=not progress, leave=True) as bar:
        for chunk in _batches(rows):
            with transaction.atomic():
                model._default_manager.bulk_create(chunk)
            count += len(chunk)
            bar.update(len(chunk))
    return count


def _skewed_split(rng: random.Random, total: int, weights: list[float], cap: int) -> list[int]:
    """Split ``total`` into one count per weight, proportional, none above ``cap``.

    The caller guarantees ``total <= cap * len(weights)``.
    """
    n = len(weights)
    if n == 0 or total == 0:
        return [0] * n
    scale = total / sum(weights)
    counts = [min(cap, int(w * scale)) for w in weights]
    left = total - sum(counts)
    for _ in range(20):  # a few weighted rounds, then fill in order
        if left <= 0:
            break
        for i in rng.choices(range(n), weights=weights, k=left):
            if counts[i] < cap and left > 0:
                counts[i] += 1
                left -= 1
    for i in range(n):
        if left <= 0:
            break
        room = min(cap - counts[i], left)
        counts[i] += room
        left -= room
    return counts


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


class Seeder:
    def __init__(self, plan: Plan, *, progress: bool = True) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)  # noqa: S311  (demo data, not security)
        self.progress = progress
        self.now = timezone.now()
        self.result = Seeded()
        self._html: dict[str, str] = {}

    def run(self) -> Seeded:
        check_plan(self.plan)
        self.seed_users()
        boards = self.seed_boards()
        self.seed_tags()
        if self.plan.posts:
            self.seed_posts(boards)
        return self.result

    def _html_for(self, text: str) -> str:
        html = self._html.get(text)
        if html is None:
            html = self._html[text] = render_markdown(text)
        return html

    # --- users and boards --------------------------------------------------------

    def seed_users(self) -> None:
        if not self.plan.users:
            return
        password = make_password(DEMO_PASSWORD)  # hashed once, shared by every demo user
        start = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        taken = set(User.objects.filter(email__startswith="demo.").values_list("email", flat=True))
        rng = self.rng

        def rows() -> Iterator[User]:
            for n in range(start, start + self.plan.users):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                email = f"demo.{first}.{last}.{n}@example.com".lower()
                while email in taken:
                    email = email.replace("@", "x@")
                yield User(
                    email=email,
                    name=f"{first} {last}",
                    password=password,
                    role=Role.MEMBER,
                    date_joined=self.now - YEAR * rng.random(),
                    is_demo=True,
                )

        self.result.users = _insert_counted(User, rows(), self.plan.users, "users", self.progress)

    def seed_boards(self) -> list[Board]:
        taken = set(Board.objects.values_list("slug", flat=True))
        position = Board.objects.count()
        new: list[Board] = []
        for i in range(self.plan.boards):
            name, description = BOARDS[i % len(BOARDS)]
            slug, n = slugify(name), 2
            while slug in taken:
                slug, n = f"{slugify(name)}-{n}", n + 1
            taken.add(slug)
            new.append(
                Board(
                    name=name if slug == slugify(name) else f"{name} {n - 1}",
                    slug=slug,
                    description=description,
                    position=position + i,
                    created_at=self.now - YEAR,
                    is_demo=True,
                )
            )
        with transaction.atomic():
            Board.objects.bulk_create(new)
        self.result.boards = len(new)
        return new or list(Board.objects.all())

    def seed_tags(self) -> None:
        for name, color in TAGS:
            Tag.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "color": color, "is_demo": True}
            )

    # --- posts, votes, comments --------------------------------------------------

    def _status_picker(self) -> Callable[[datetime], Status]:
        """Older posts are more often finished; new ones mostly open."""
        statuses = list(Status.objects.all())
        young = [
            60.0 if s.is_default else 3.0 if s.is_closed else 8.0 if s.on_roadmap else 4.0
            for s in statuses
        ]
        old = [
            25.0 if s.is_default else 15.0 if s.is_closed else 10.0 if s.on_roadmap else 6.0
            for s in statuses
        ]
        rng, cutoff = self.rng, self.now - timedelta(days=90)

        def pick(created_at: datetime) -> Status:
            return rng.choices(statuses, weights=young if created_at > cutoff else old)[0]

        return pick

    def seed_posts(self, boards: list[Board]) -> None:
        plan, rng = self.plan, self.rng
        user_ids = list(User.objects.values_list("pk", flat=True))
        # Popularity follows a heavy tail: a few posts draw most votes.
        weights = [rng.lognormvariate(0.0, 1.3) for _ in range(plan.posts)]
        # Even the favourite post is not backed by everyone, unless asked for.
        cap = max(1, len(user_ids) * 3 // 5)
        if plan.votes > cap * plan.posts:
            cap = len(user_ids)
        votes = _skewed_split(rng, plan.votes, weights, cap=cap)
        comments = _skewed_split(
            rng, plan.comments, [v + 1.0 for v in votes], cap=max(plan.comments, 1)
        )
        times = sorted(self.now - YEAR * rng.random() for _ in range(plan.posts))
        pick_status = self._status_picker()
        board_weights = [1.0 / (i + 1) for i in range(len(boards))]

        def post_rows() -> Iterator[Post]:
            for i, created_at in enumerate(times):
                title = post_title(rng)
                body = post_body(rng)
                yield Post(
                    is_demo=True,
                    board=rng.choices(boards, weights=board_weights)[0],
                    author_id=rng.choice(user_ids),
                    title=title,
                    slug=slugify(title)[:80].strip("-") or "post",
                    body=body,
                    body_html=self._html_for(body),
                    status=pick_status(created_at),
                    vote_count=votes[i],
                    comment_count=comments[i],
                    hot_score=hot_score(votes[i], created_at),
                    created_at=created_at,
                    updated_at=created_at,
                )

        posts = _insert(Post, post_rows(), plan.posts, "posts", self.progress)
        if any(p.pk is None for p in posts):  # a backend that does not return ids
            ids = list(Post.objects.order_by("-pk").values_list("pk", flat=True)[: plan.posts])
            for post, pk in zip(posts, reversed(ids), strict=True):
                post.pk = pk
        self.result.posts = len(posts)
        self._tag_posts(posts)
        keys = [(p.pk, p.created_at) for p in posts]
        del posts
        self.result.votes = self._votes(keys, votes, user_ids)
        self.result.comments = self._comments(keys, comments, user_ids)

    def _tag_posts(self, posts: list[Post]) -> None:
        tags = list(Tag.objects.values_list("pk", flat=True))
        if not tags:
            return
        through: Any = Post.tags.through
        rng = self.rng
        rows = [
            through(post_id=post.pk, tag_id=tag)
            for post in posts
            if rng.random() < 0.35
            for tag in rng.sample(tags, k=min(len(tags), rng.choice((1, 1, 2))))
        ]
        _insert_counted(through, rows, len(rows), "post tags", self.progress)

    def _votes(
        self, keys: list[tuple[int, datetime]], counts: list[int], user_ids: list[int]
    ) -> int:
        rng, now = self.rng, self.now

        def rows() -> Iterator[Vote]:
            for (post_id, created_at), k in zip(keys, counts, strict=True):
                for user_id in rng.sample(user_ids, k):
                    yield Vote(
                        post_id=post_id, user_id=user_id, created_at=_between(rng, created_at, now)
                    )

        return _insert_counted(Vote, rows(), sum(counts), "votes", self.progress)

    def _comments(
        self, keys: list[tuple[int, datetime]], counts: list[int], user_ids: list[int]
    ) -> int:
        rng, now = self.rng, self.now

        def rows() -> Iterator[Comment]:
            for (post_id, created_at), k in zip(keys, counts, strict=True):
                for _ in range(k):
                    body = comment_body(rng)
                    yield Comment(
                        post_id=post_id,
                        author_id=rng.choice(user_ids),
                        body=body,
                        body_html=self._html_for(body),
                        created_at=_between(rng, created_at, now),
                    )

        return _insert_counted(Comment, rows(), sum(counts), "comments", self.progress)


def real_content() -> dict[str, int]:
    """Boards and posts not made by the seeder: a site in real use."""
    return {
        "boards": Board.objects.filter(is_demo=False).count(),
        "posts": Post.objects.filter(is_demo=False).count(),
    }


@dataclass
class Removed:
    posts: int = 0
    boards: int = 0
    users: int = 0
    tags: int = 0
    kept_boards: int = 0


def remove_demo() -> Removed:
    """Delete what the seeder made: demo posts (with their votes and comments),
    then demo boards, users and tags. A demo board that people have since
    posted on is kept, and so is a demo tag on a real post."""
    removed = Removed()
    with transaction.atomic():
        removed.posts = Post.objects.filter(is_demo=True).delete()[1].get("boards.Post", 0)
        boards = Board.objects.filter(is_demo=True)
        removed.kept_boards = boards.filter(posts__isnull=False).distinct().count()
        removed.boards = boards.filter(posts__isnull=True).delete()[1].get("boards.Board", 0)
        users = User.objects.filter(is_demo=True)
        removed.users = users.delete()[1].get("accounts.User", 0)
        tags = Tag.objects.filter(is_demo=True, posts__isnull=True)
        removed.tags = tags.delete()[1].get("boards.Tag", 0)
    return removed
