"""Imported posts reach the search index: a consumer of the ``import.batch`` events.

An import writes posts and comments in bulk and records one event per batch
with the posts it touched; this consumer indexes them after the batch commits,
in the jobs worker, so the import itself never waits for the index.
"""

from __future__ import annotations

from monoboard.core.events import DomainEvent, batch_consumer

IMPORT_EVENTS = frozenset({"import.batch", "import.finished"})


@batch_consumer("imports.search", IMPORT_EVENTS)
def on_import(events: list[DomainEvent]) -> None:
    post_ids = sorted({int(pk) for event in events for pk in event.data.get("post_ids", [])})
    if not post_ids:
        return
    from monoboard.search import backend

    backend().index_posts(post_ids)
