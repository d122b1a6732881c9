"""Cache-aside: hits, invalidation by the domain events, and a hot key's lock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import selectors, services
from monoboard.boards.models import Board, SiteSettings, Status
from monoboard.lib import cacheaside

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_aside_on(settings: Any) -> None:
    settings.CACHE_ASIDE = True
    settings.PAGE_CACHE_SECONDS = 0


def lookups(name: str, result: str) -> float:
    return float(cacheaside.LOOKUPS.labels(name, result)._value.get())


def test_a_second_read_is_a_hit_and_a_write_is_seen_at_once(admin: User) -> None:
    hits = lookups("statuses", "hit")
    names = [s.name for s in selectors.all_statuses()]
    assert [s.name for s in selectors.all_statuses()] == names
    assert lookups("statuses", "hit") == hits + 1
    services.tag_save(actor=admin, name="ux")
    assert [t.name for t in selectors.all_tags()] == ["ux"]
    services.tag_save(actor=admin, name="api")
    # The writer's next read, in the same transaction here, already sees it.
    assert [t.name for t in selectors.all_tags()] == ["api", "ux"]


def test_pages_show_the_site_name_and_a_private_boards_rename_at_once(
    admin: User, admin_client: Client, public_board: Board
) -> None:
    assert admin_client.get("/").status_code == 200
    services.site_settings_update(actor=admin, site_name="Acme ideas", tagline="")
    assert "Acme ideas" in admin_client.get("/").content.decode()
    services.board_update(
        actor=admin, board=public_board, name="Secret", description="", is_private=True
    )
    page = admin_client.get(f"/b/{public_board.slug}/").content.decode()
    assert "Secret" in page
    # A visitor is refused the now private board at once.
    assert Client().get(f"/b/{public_board.slug}/").status_code == 404


def test_a_value_filled_before_a_commit_is_not_read_after_it(admin: User) -> None:
    """The bump after commit: a fill from the old data in between is never read."""
    before = selectors.all_tags()
    cacheaside.bump("catalog")  # what the commit's bump does
    version = cacheaside.version("catalog")
    caches["default"].set(f"aside:tags:{version}", before, 60)  # a stale fill
    services.tag_save(actor=admin, name="fresh")
    assert [t.name for t in selectors.all_tags()] == ["fresh"]


def test_one_request_computes_a_hot_key_while_the_others_wait(settings: Any) -> None:
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.1)
        return "value"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cacheaside.cached("hot", "site", slow)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["value"] * 4
    assert len(calls) == 1


def test_off_without_a_shared_cache(settings: Any) -> None:
    settings.CACHE_ASIDE = False
    misses = lookups("site", "miss")
    assert isinstance(cacheaside.cached("site", "site", SiteSettings.load), SiteSettings)
    assert lookups("site", "miss") == misses


def test_board_rows_come_from_the_cache_and_a_change_is_a_new_row(
    admin: User, member_client: Client, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=admin, title="Dark mode")
    url = f"/b/{public_board.slug}/"
    assert "Dark mode" in member_client.get(url).content.decode()
    hits = lookups("post_rows", "hit")
    first = member_client.get(url).content.decode()
    assert lookups("post_rows", "hit") == hits + 1
    services.post_update(post=post, actor=admin, title="Dark theme", body="", tag_ids=None)
    services.comment_create(post=post, author=admin, body="Yes please")
    page = member_client.get(url).content.decode()
    assert "Dark theme" in page and "Dark mode" not in page
    assert '<span data-testid="comment-count">1</span>' in page
    assert first != page
    planned = Status.objects.get(slug="planned")
    services.status_save(actor=admin, status=planned, fields=_renamed(planned, "Scheduled"))
    services.post_set_status(post=post, actor=admin, status=planned, note="")
    assert "Scheduled" in member_client.get(url).content.decode()


def _renamed(status: Status, name: str) -> Any:
    from monoboard.boards.services import StatusFields

    return StatusFields(
        name=name,
        color=status.color,
        on_roadmap=status.on_roadmap,
        is_closed=status.is_closed,
        is_default=status.is_default,
    )
