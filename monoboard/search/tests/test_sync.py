"""The index follows writes once they commit, and `manage.py reindex` rebuilds it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board
from monoboard.core.consumers import drain
from monoboard.search import backend
from monoboard.search.tests.conftest import Committed, MakePost, ensure_statuses


def hits(client: Client, q: str) -> list[int]:
    drain()  # what the jobs worker does moments after each commit
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    return [int(i) for i in re.findall(r'data-testid="search-hit" data-post-id="(\d+)"', html)]


@pytest.mark.django_db(transaction=True)
def test_real_commits_update_the_index(
    member: User, moderator: User, public_board: Board, outsider_client: Client
) -> None:
    ensure_statuses()
    post = services.post_create(board=public_board, author=member, title="Gantt chart view")
    assert hits(outsider_client, "gantt") == [post.pk]
    services.post_update(post=post, actor=member, title="Timeline view", body="Like Gantt")
    assert hits(outsider_client, "timeline") == [post.pk]
    comment = services.comment_create(post=post, author=member, body="Milestones please")
    assert hits(outsider_client, "milestones") == [post.pk]
    services.comment_delete(comment=comment, actor=member)
    assert hits(outsider_client, "milestones") == []

    # A write that rolls back never reaches the index.
    def edit_then_fail() -> None:
        with transaction.atomic():
            services.post_update(post=post, actor=member, title="Roadmap view", body="")
            services.comment_create(post=post, author=member, body="")  # invalid

    with pytest.raises(ValidationError):
        edit_then_fail()
    assert hits(outsider_client, "roadmap") == []
    assert hits(outsider_client, "timeline") == [post.pk]
    services.post_delete(post=post, actor=moderator)
    assert hits(outsider_client, "timeline") == []


@pytest.mark.django_db
def test_comment_edits_are_indexed(
    make_post: MakePost, committed: Committed, other_member: User, outsider_client: Client
) -> None:
    post = make_post("Webhooks")
    with committed():
        comment = services.comment_create(post=post, author=other_member, body="Zapier first")
    assert hits(outsider_client, "zapier") == [post.pk]
    with committed():
        services.comment_update(comment=comment, actor=other_member, body="IFTTT first")
    assert hits(outsider_client, "zapier") == []
    assert hits(outsider_client, "ifttt") == [post.pk]


@pytest.mark.django_db
def test_reindex_rebuilds_everything(make_post: MakePost, outsider_client: Client) -> None:
    posts = [make_post(f"Rebuild candidate {i}") for i in range(7)]
    backend().clear()
    assert hits(outsider_client, "rebuild") == []
    out = io.StringIO()
    call_command("reindex", "--batch-size", "3", "--no-progress", stdout=out)
    assert "Indexed 7 posts" in out.getvalue()
    assert sorted(hits(outsider_client, "rebuild")) == sorted(p.pk for p in posts)
