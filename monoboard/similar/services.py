"""Every write of the similar app: post vectors and dismissed pairs.

Vectors are derived data, like the search index: they are written by the
``similar.vectors`` consumer of the event log (``sync.py``) and by
``manage.py embedposts``, never by a request.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.boards import access
from monoboard.boards.models import Post
from monoboard.core.events import DomainEvent, emit
from monoboard.similar import embedding
from monoboard.similar.models import DismissedPair, PostVector, VectorClock


def _tick() -> int:
    """Bump the vector clock (creating it on first use); its row stays locked until commit."""
    if not VectorClock.objects.filter(pk=1).exists():
        try:
            with transaction.atomic():
                VectorClock.objects.create(pk=1, value=0, epoch=secrets.token_hex(8))
        except IntegrityError:
            pass  # another writer created it first
    VectorClock.objects.filter(pk=1).update(value=F("value") + 1)
    return int(VectorClock.objects.values_list("value", flat=True).get(pk=1))


def vectors_refresh(post_ids: Iterable[int]) -> int:
    """(Re)compute the title vectors of ``post_ids``; posts that no longer exist
    are skipped (their rows went with them). Returns how many were written."""
    wanted = sorted(set(post_ids))
    if not wanted:
        return 0
    rows = list(Post.objects.filter(pk__in=wanted).order_by("pk").values_list("pk", "title"))
    if not rows:
        return 0
    vectors = embedding.embed([title for _, title in rows])
    with transaction.atomic():
        seq = _tick()
        now = timezone.now()
        PostVector.objects.bulk_create(
            [
                PostVector(
                    post_id=pk,
                    model=embedding.MODEL_VERSION,
                    vector=embedding.to_bytes(vector),
                    seq=seq,
                    updated_at=now,
                )
                for (pk, _), vector in zip(rows, vectors, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["post"],
            update_fields=["model", "vector", "seq", "updated_at"],
        )
    return len(rows)


def vectors_backfill(
    *,
    batch_size: int = 1000,
    redo_all: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write vectors for every post that has none (or one of another model
    version; every post with ``redo_all``), in batches of ``batch_size``, each
    its own transaction, so an interrupted run resumes where it stopped."""
    todo = Post.objects.order_by("pk")
    if not redo_all:
        current = PostVector.objects.filter(model=embedding.MODEL_VERSION)
        todo = todo.exclude(pk__in=current.values("post_id"))
    ids = list(todo.values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), max(1, batch_size)):
        batch = ids[start : start + max(1, batch_size)]
        done += vectors_refresh(batch)
        if progress is not None:
            progress(len(batch), len(ids))
    return done


def pair_dismiss(*, actor: User, first: Post, second: Post) -> DismissedPair:
    """Record that two posts are not duplicates, so the triage list skips the pair."""
    access.require_moderator(actor)
    if first.pk == second.pk:
        raise ValidationError({"second": "A post cannot be paired with itself."})
    low, high = sorted([first, second], key=lambda post: post.pk)
    with transaction.atomic():
        pair, _ = DismissedPair.objects.get_or_create(
            low_post=low, high_post=high, defaults={"dismissed_by": actor}
        )
        emit(
            DomainEvent(
                kind="similar.pair_dismissed",
                post_id=low.pk,
                board_id=low.board_id,
                actor_id=actor.pk,
                data={"other_post_id": high.pk},
            )
        )
    return pair
