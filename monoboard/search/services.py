"""Writes of the search app: rebuilding the index (the index itself follows events)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from monoboard.boards.models import Post
from monoboard.core.events import DomainEvent, emit
from monoboard.search import backend


def reindex(
    *,
    batch_size: int = 500,
    progress: Callable[[int], object] | None = None,
    announce: bool = True,
) -> int:
    """Rebuild the whole index; returns how many posts were indexed.

    Ends with a ``search.reindexed`` event (unless ``announce`` is false: a
    site that serves nothing yet, such as copysite's target): search pages
    shared with visitors (keyed by the newest event) are stale from then on,
    and are not shared again until the index consumer has read past it.
    """
    search = backend()
    search.clear()
    ids = Post.objects.filter(is_listed=True).order_by("pk").values_list("pk", flat=True)
    done, last = 0, 0
    while True:
        batch = list(ids.filter(pk__gt=last)[: max(1, batch_size)])
        if not batch:
            break
        search.index_posts(batch)
        last = batch[-1]
        done += len(batch)
        if progress is not None:
            progress(len(batch))
    if announce:
        with transaction.atomic():
            emit(DomainEvent("search.reindexed", data={"posts": done}))
    return done
