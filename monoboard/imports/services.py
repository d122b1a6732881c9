"""Every write an import makes: planning, confirming and running it.

An import is planned (a dry run: what the source holds and how its statuses
would map), confirmed by an admin (the status mapping) and then run in
batches. Each batch is one transaction that writes the new rows, what each
source row became (``ImportedObject``), the run's progress and an
``import.batch`` event; so a run killed at any instant resumes where its last
batch committed, and nothing is written twice.

Posts, votes and comments are written in bulk rather than through
``post_create`` and friends: those send notifications and recount per row.
The same invariants hold: counts and the trending score are recomputed
exactly from the rows at the end, a person votes once per post, every post
has a status. Imported people get no usable password and are sent nothing.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from monoboard.accounts.models import Role, User
from monoboard.boards import services as boards
from monoboard.boards.models import Board, Comment, Post, Status, Tag, Vote
from monoboard.boards.ranking import hot_score
from monoboard.core.events import DomainEvent, emit
from monoboard.core.roles import require_admin
from monoboard.imports.models import ImportedObject, ImportRun, RunState
from monoboard.imports.sources import Source
from monoboard.lib.markdown import render_markdown

BATCH = 1_000
TITLE_MAX = 160

#: Source status names that mean the same as a local status's slug.
SYNONYMS = {
    "open": "open",
    "new": "open",
    "under review": "open",
    "under-review": "open",
    "planned": "planned",
    "started": "in-progress",
    "in progress": "in-progress",
    "in-progress": "in-progress",
    "completed": "done",
    "complete": "done",
    "done": "done",
    "shipped": "done",
    "declined": "declined",
    "closed": "declined",
    "rejected": "declined",
}


# --- Planning ----------------------------------------------------------------------


def _local_status(name: str) -> Status | None:
    text = name.strip().lower()
    return (
        Status.objects.filter(Q(slug=slugify(text)) | Q(name__iexact=text)).first()
        if text
        else None
    )


def suggest_statuses(source_statuses: Iterable[str]) -> dict[str, str]:
    """A local status name for each source status: same name, a known synonym, or the default."""
    default = boards.default_status()
    out: dict[str, str] = {}
    for name in source_statuses:
        status = _local_status(name)
        if status is None and name in SYNONYMS:
            status = Status.objects.filter(slug=SYNONYMS[name]).first()
        out[name] = (status or default).name
    return out


def resolve_statuses(wanted: dict[str, str], source_statuses: Iterable[str]) -> dict[str, int]:
    """Turn {source status: local status name or slug} into local ids; every source status
    must be mapped, and every target must exist."""
    problems: list[str] = []
    ids: dict[str, int] = {}
    for source_name in sorted(source_statuses):
        if source_name not in wanted:
            problems.append(f"Source status {source_name!r} is not mapped.")
            continue
        status = _local_status(wanted[source_name])
        if status is None:
            names = ", ".join(Status.objects.values_list("name", flat=True))
            problems.append(f"No local status {wanted[source_name]!r} (there are: {names}).")
            continue
        ids[source_name] = status.pk
    if problems:
        raise ValidationError({"statuses": problems})
    return ids


def _numbers_free(numbers: list[int | None], run: ImportRun | None) -> bool:
    """Posts keep their numbers as ids when every number is set, unique and free here."""
    if not numbers or any(n is None or n <= 0 for n in numbers):
        return False
    wanted = [n for n in numbers if n is not None]
    if len(set(wanted)) != len(wanted):
        return False
    mine = set()
    if run is not None:
        mine = set(
            ImportedObject.objects.filter(run=run, kind="post").values_list("local_id", flat=True)
        )
    taken = 0
    for chunk in _chunks(wanted, 5_000):
        ids = set(Post.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        taken += len(ids - mine)
    return taken == 0


def import_plan(*, source: Source) -> dict[str, Any]:
    """The dry run: counts per table, statuses with suggested targets, what is kept."""
    counts = source.counts()
    statuses = source.statuses()
    claimed = 0
    if not counts.get("votes"):
        claimed = sum(p.claimed_votes or 0 for p in source.posts())
    emails = [u.email for u in source.users()]
    existing = 0
    for chunk in _chunks(emails, 5_000):
        existing += User.objects.filter(email__in=chunk).count()
    return {
        "source": str(source.kind),
        "label": source.label,
        "counts": counts,
        "statuses": statuses,
        "suggested": suggest_statuses(statuses),
        "users_existing": existing,
        "keep_numbers": _numbers_free(source.numbers(), None),
        "votes_without_voters": claimed,
    }


def source_key(source: Source) -> str:
    return hashlib.sha256(source.identity().encode()).hexdigest()


@transaction.atomic
def import_prepare(
    *,
    actor: User,
    source: Source,
    payload: bytes | None = None,
    plan: dict[str, Any] | None = None,
    board: str = "",
) -> ImportRun:
    """Record the planned import (or find the run of an earlier try of the same source)."""
    require_admin(actor)
    plan = plan or import_plan(source=source)
    run, created = ImportRun.objects.get_or_create(
        key=source_key(source),
        defaults={
            "source": str(source.kind),
            "label": source.label[:200],
            "plan": plan,
            "payload": payload,
            "created_by": actor,
            "mapping": {"board": board} if board else {},
        },
    )
    if not created and run.state in (RunState.PLANNED, RunState.FAILED):
        run.plan, run.created_by = plan, actor
        if payload is not None:
            run.payload = payload
        run.save(update_fields=["plan", "created_by", "payload"])
    emit(DomainEvent(kind="import.planned", actor_id=actor.pk, data={"run": run.pk}))
    return run


@transaction.atomic
def import_confirm(
    *, actor: User, run: ImportRun, statuses: dict[str, int], enqueue: bool
) -> ImportRun:
    """The admin confirmed the mapping: queue the run (as a job when ``enqueue``)."""
    require_admin(actor)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.state in (RunState.RUNNING, RunState.QUEUED) and enqueue:
        raise ValidationError("This import is already under way.")
    missing = sorted(set(run.plan.get("statuses", {})) - set(statuses))
    if missing:
        raise ValidationError({"statuses": [f"Map the source status {m!r}." for m in missing]})
    if not Status.objects.filter(pk__in=set(statuses.values())).count() == len(
        set(statuses.values())
    ):
        raise ValidationError({"statuses": ["A chosen status no longer exists."]})
    run.mapping = {**run.mapping, "statuses": statuses}
    if "keep_numbers" not in run.progress:
        run.progress = {**run.progress, "keep_numbers": bool(run.plan.get("keep_numbers"))}
    if run.state != RunState.DONE:
        run.state, run.error = RunState.QUEUED, ""
    run.created_by = actor
    run.save(update_fields=["mapping", "progress", "state", "error", "created_by"])
    if enqueue:
        from monoboard.imports.tasks import run_import
        from monoboard.jobs.enqueue import enqueue_on_commit

        enqueue_on_commit(run_import, run.pk)
    emit(DomainEvent(kind="import.confirmed", actor_id=actor.pk, data={"run": run.pk}))
    return run


# --- Running -----------------------------------------------------------------------


def _chunks[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _insert_rows(model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """INSERT ``rows`` (all with the same keys) and return their ids, in row order.

    What ``bulk_create`` does, without building a model instance and compiling
    a value expression per cell: at 100,000 posts that was most of the import's
    time. Every column the rows leave out gets the field's default, so a column
    added to the model later is still filled.
    """
    if not rows:
        return []
    given = set(rows[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or "id" in given]
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in fields
        if f.attname not in given
    }
    dates = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
    adapt = connection.ops.adapt_datetimefield_value
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or 60_000
    ids: list[int] = []
    with connection.cursor() as cur:
        for chunk in _chunks(rows, max(1, limit // len(fields))):
            params = [
                (adapt(row[n]) if n in dates else row[n]) if n in given else defaults[n]
                for row in chunk
                for n in names
            ]
            cur.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns})"  # noqa: S608
                f" VALUES {', '.join([one] * len(chunk))} RETURNING {quote('id')}",
                params,
            )
            # Ids are drawn in row order within one statement; RETURNING's order is not promised.
            ids.extend(sorted(int(r[0]) for r in cur.fetchall()))
    return ids if "id" not in given else [int(r["id"]) for r in rows]


_MAP_INSERT = (
    "INSERT INTO imports_importedobject (run_id, kind, source_id, local_id) VALUES (%s, %s, %s, %s)"
)
_POST_TAG_INSERT = "INSERT INTO boards_post_tags (post_id, tag_id) VALUES (%s, %s)"
_POST_COUNTS = (
    "UPDATE boards_post SET vote_count = %s, comment_count = %s, hot_score = %s WHERE id = %s"
)


def _vote_insert() -> str:
    table = connection.ops.quote_name(Vote._meta.db_table)
    return (
        f"INSERT INTO {table} (post_id, user_id, created_at) VALUES (%s, %s, %s)"  # noqa: S608
        " ON CONFLICT DO NOTHING"
    )


@dataclass
class _Bar:
    update: Callable[[int], object]
    close: Callable[[], object]


class Importer:
    def __init__(
        self, run: ImportRun, source: Source, *, progress: bool = False, batch: int = BATCH
    ) -> None:
        actor = run.created_by
        if actor is None or not actor.is_admin:
            raise ValidationError("The admin who confirmed this import is no longer an admin.")
        self.run, self.source, self.actor = run, source, actor
        self.show, self.batch = progress, batch
        self.counts: dict[str, int] = dict(run.counts)
        self.state: dict[str, Any] = dict(run.progress)
        self.statuses: dict[str, int] = run.mapping["statuses"]
        self.maps: dict[str, dict[str, int]] = {}

    # bookkeeping -------------------------------------------------------------

    def _map(self, kind: str) -> dict[str, int]:
        if kind not in self.maps:
            rows = ImportedObject.objects.filter(run=self.run, kind=kind).values_list(
                "source_id", "local_id"
            )
            self.maps[kind] = {s: int(local) for s, local in rows.iterator(chunk_size=10_000)}
        return self.maps[kind]

    def _bar(self, phase: str, total: int) -> _Bar:
        self.state.update(phase=phase, done=0, total=total)
        bar = tqdm(total=total, desc=phase, unit=" rows", disable=not self.show, leave=True)
        return _Bar(update=bar.update, close=bar.close)

    def _commit(
        self,
        kind: str,
        pairs: list[tuple[str, int]],
        done: int,
        post_ids: Iterable[int] = (),
    ) -> None:
        """The last writes of a batch's transaction: the map, the progress, the event."""
        if pairs:
            with connection.cursor() as cur:
                cur.executemany(
                    _MAP_INSERT, [(self.run.pk, kind, s[:64], local) for s, local in pairs]
                )
        self.state["done"] = self.state.get("done", 0) + done
        ImportRun.objects.filter(pk=self.run.pk).update(progress=self.state, counts=self.counts)
        emit(
            DomainEvent(
                kind="import.batch",
                actor_id=self.actor.pk,
                data={
                    "run": self.run.pk,
                    "table": kind,
                    "rows": done,
                    "post_ids": sorted(set(post_ids)),
                },
            )
        )

    def _add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # phases ------------------------------------------------------------------

    def run_all(self) -> ImportRun:
        counts = self.source.counts()
        self.import_boards()
        self.import_tags()
        self.import_users(counts.get("users", 0))
        self.import_posts(counts.get("posts", 0))
        self.import_votes(counts.get("votes", 0))
        self.import_comments(counts.get("comments", 0))
        self.finish()
        return self.run

    def import_boards(self) -> None:
        done = self._map("board")
        for board in self.source.boards():
            if board.id in done:
                continue
            with transaction.atomic():
                local = Board.objects.filter(slug=slugify(board.name)[:80]).first()
                if local is None:
                    local = boards.board_create(actor=self.actor, name=board.name)
                    self._add("boards_created", 1)
                self._commit("board", [(board.id, local.pk)], 0)
            done[board.id] = local.pk

    def import_tags(self) -> None:
        done = self._map("tag")
        for tag in self.source.tags():
            if tag.id in done:
                continue
            with transaction.atomic():
                local = Tag.objects.filter(slug=slugify(tag.name)[:40]).first()
                if local is None:
                    color = tag.color if _COLOR.match(tag.color or "") else "#2563eb"
                    local = boards.tag_save(actor=self.actor, name=tag.name, color=color)
                    self._add("tags_created", 1)
                self._commit("tag", [(tag.id, local.pk)], 0)
            done[tag.id] = local.pk

    def import_users(self, total: int) -> None:
        done = self._map("user")
        bar = self._bar("users", total)
        now = timezone.now()
        for chunk in _chunks(self.source.users(), self.batch):
            todo = [u for u in chunk if u.id not in done]
            if todo:
                with transaction.atomic():
                    emails = {u.email for u in todo}
                    known = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
                    new: dict[str, User] = {}
                    for u in todo:
                        if u.email not in known and u.email not in new:
                            new[u.email] = User(
                                email=u.email,
                                name=u.name,
                                password=make_password(None),  # unusable: sign-in by reset only
                                role=Role.MEMBER,
                                date_joined=u.created_at or now,
                            )
                    for user in User.objects.bulk_create(list(new.values())):
                        known[user.email] = user.pk
                    pairs = [(u.id, known[u.email]) for u in todo]
                    self._add("users_created", len(new))
                    self._add("users_matched", len(todo) - len(new))
                    self._commit("user", pairs, len(chunk))
                done.update(pairs)
            else:
                self.state["done"] = self.state.get("done", 0) + len(chunk)
            bar.update(len(chunk))
        bar.close()

    def _keep_numbers(self) -> bool:
        keep = bool(self.state.get("keep_numbers"))
        if keep and connection.vendor == "postgresql":
            # New posts made on the site meanwhile must not take an imported number.
            top = max((n or 0) for n in self.source.numbers())
            table = Post._meta.db_table
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" GREATEST(%s, (SELECT COALESCE(MAX(id), 1) FROM {table})))",
                    [top],
                )
        return keep

    def import_posts(self, total: int) -> None:
        done = self._map("post")
        bmap, umap, tmap = self._map("board"), self._map("user"), self._map("tag")
        keep = self._keep_numbers()
        bar = self._bar("posts", total)
        now = timezone.now()
        for chunk in _chunks(self.source.posts(), self.batch):
            todo = [p for p in chunk if p.id not in done]
            if todo:
                rows: list[dict[str, Any]] = []
                for p in todo:
                    title = " ".join(p.title.split())[:TITLE_MAX] or "Untitled"
                    row = {
                        "board_id": bmap[p.board_id],
                        "author_id": umap.get(p.author_id or ""),
                        "title": title,
                        "slug": slugify(title)[:80].strip("-") or "post",
                        "body": p.body,
                        "body_html": render_markdown(p.body),
                        "status_id": self.statuses[p.status],
                        "created_at": p.created_at,
                        "updated_at": p.created_at,
                        "hot_score": hot_score(0, p.created_at),
                        "hidden_at": now if p.hidden else None,
                        "is_listed": not p.hidden,
                    }
                    if keep:
                        row["id"] = p.number
                    rows.append(row)
                with transaction.atomic():
                    created = _insert_rows(Post, rows)
                    pairs = [(p.id, pk) for p, pk in zip(todo, created, strict=True)]
                    links = [
                        (pk, tmap[t])
                        for p, pk in zip(todo, created, strict=True)
                        for t in p.tag_ids
                        if t in tmap
                    ]
                    with connection.cursor() as cur:
                        cur.executemany(_POST_TAG_INSERT, links)
                    self._add("posts", len(rows))
                    self._commit("post", pairs, len(chunk), post_ids=[pk for _, pk in pairs])
                done.update(pairs)
            else:
                self.state["done"] = self.state.get("done", 0) + len(chunk)
            bar.update(len(chunk))
        bar.close()

    def import_votes(self, total: int) -> None:
        pmap, umap = self._map("post"), self._map("user")
        start = int(self.state.get("votes_at", 0))
        bar = self._bar("votes", total)
        self.state["done"] = start
        bar.update(start)
        for chunk in _chunks(itertools.islice(self.source.votes(), start, None), self.batch):
            adapt = connection.ops.adapt_datetimefield_value
            rows = [
                (pmap[v.post_id], umap[v.user_id], adapt(v.created_at))
                for v in chunk
                if v.post_id in pmap and v.user_id in umap
            ]
            with transaction.atomic(), connection.cursor() as cur:
                # Plain INSERTs (the model layer costs more than the database here);
                # a person votes once per post: a row already there is kept.
                cur.executemany(_vote_insert(), rows)
                self._add("votes", len(rows))
                self._add("votes_skipped", len(chunk) - len(rows))
                self.state["votes_at"] = self.state.get("votes_at", 0) + len(chunk)
                self._commit("vote", [], len(chunk))
            bar.update(len(chunk))
        bar.close()

    def import_comments(self, total: int) -> None:
        done = self._map("comment")
        pmap, umap = self._map("post"), self._map("user")
        bar = self._bar("comments", total)
        for chunk in _chunks(self.source.comments(), self.batch):
            todo = [c for c in chunk if c.id not in done and c.post_id in pmap]
            self._add("comments_skipped", sum(1 for c in chunk if c.post_id not in pmap))
            if todo:
                rows: list[dict[str, Any]] = [
                    {
                        "post_id": pmap[c.post_id],
                        "author_id": umap.get(c.author_id or ""),
                        "body": "" if c.deleted_at else c.body,
                        "body_html": "" if c.deleted_at else render_markdown(c.body),
                        "is_official": c.official,
                        "is_pinned": c.official and not c.deleted_at,
                        "created_at": c.created_at,
                        "edited_at": c.edited_at,
                        "deleted_at": c.deleted_at,
                    }
                    for c in todo
                ]
                with transaction.atomic():
                    created = _insert_rows(Comment, rows)
                    pairs = [(c.id, pk) for c, pk in zip(todo, created, strict=True)]
                    self._add("comments", len(rows))
                    self._commit(
                        "comment", pairs, len(chunk), post_ids=[r["post_id"] for r in rows]
                    )
                done.update(pairs)
            else:
                self.state["done"] = self.state.get("done", 0) + len(chunk)
            bar.update(len(chunk))
        bar.close()

    def finish(self) -> None:
        """Exact counts and trending scores from the rows; duplicates merged into originals."""
        pmap = self._map("post")
        originals = {p.id: p.original_id for p in self._duplicates()}
        bar = self._bar("counts", len(pmap))
        now = timezone.now()
        for ids in _chunks(sorted(pmap.values()), self.batch):
            with transaction.atomic():
                votes = dict(
                    Vote.objects.filter(post_id__in=ids)
                    .order_by()
                    .values_list("post_id")
                    .annotate(n=Count("pk"))
                )
                comments = dict(
                    Comment.objects.filter(post_id__in=ids, deleted_at__isnull=True)
                    .order_by()
                    .values_list("post_id")
                    .annotate(n=Count("pk"))
                )
                rows = [
                    (
                        votes.get(pk, 0),
                        comments.get(pk, 0),
                        hot_score(votes.get(pk, 0), created),
                        pk,
                    )
                    for pk, created in Post.objects.filter(pk__in=ids).values_list(
                        "pk", "created_at"
                    )
                ]
                with connection.cursor() as cur:
                    cur.executemany(_POST_COUNTS, rows)
                self._commit("count", [], len(ids))
            bar.update(len(ids))
        bar.close()
        merged = [
            (pmap[dup], pmap[original])
            for dup, original in originals.items()
            if original in pmap and dup in pmap and dup != original
        ]
        with transaction.atomic():
            for source_pk, target_pk in merged:
                Post.objects.filter(pk=source_pk, merged_into__isnull=True).update(
                    merged_into_id=target_pk, merged_at=now, merged_by=self.actor, is_listed=False
                )
            self.counts["merged"] = len(merged)
            self.state.update(phase="done", done=self.state.get("total", 0))
            ImportRun.objects.filter(pk=self.run.pk).update(
                state=RunState.DONE,
                finished_at=now,
                payload=None,
                progress=self.state,
                counts=self.counts,
                error="",
            )
            emit(
                DomainEvent(
                    kind="import.finished",
                    actor_id=self.actor.pk,
                    data={
                        "run": self.run.pk,
                        "counts": self.counts,
                        "post_ids": [s for s, _ in merged],
                    },
                )
            )
        self.run.refresh_from_db()

    def _duplicates(self) -> list[Any]:
        return [p for p in self.source.posts() if p.original_id]


def import_execute(
    *, run: ImportRun, source: Source, progress: bool = False, batch: int = BATCH
) -> ImportRun:
    """Run (or resume) a confirmed import. Each batch commits on its own."""
    if run.state == RunState.PLANNED or "statuses" not in run.mapping:
        raise ValidationError("Confirm the status mapping before running the import.")
    ImportRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, started_at=run.started_at or timezone.now(), error=""
    )
    try:
        return Importer(run, source, progress=progress, batch=batch).run_all()
    except Exception as exc:
        ImportRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
