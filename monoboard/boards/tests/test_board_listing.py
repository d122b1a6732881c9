"""The board list: sorts, filters and cursor pagination through the page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Status, Tag
from monoboard.boards.tests.pages import make_post

pytestmark = pytest.mark.django_db

ROW = re.compile(r'data-testid="post-row" data-post-id="(\d+)"')
NEXT = re.compile(r'href="\?([^"]*)" rel="next"')


def walk(client: Client, board: Board, query: str) -> list[int]:
    """Follow "Next page" links to the end; return post ids in page order."""
    url = reverse("boards:board", args=[board.slug])
    seen: list[int] = []
    for _ in range(20):
        page = client.get(f"{url}?{query}").text
        seen += [int(i) for i in ROW.findall(page)]
        link = NEXT.search(page)
        if link is None:
            return seen
        query = link.group(1).replace("&amp;", "&")
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", ["trending", "top", "new"])
def test_cursor_walk_has_no_duplicates_and_no_gaps(
    member_client: Client, public_board: Board, member: User, other_member: User, sort: str
) -> None:
    posts = [make_post(public_board, member, title=f"Idea {i:02d}") for i in range(45)]
    for post in posts[::3]:  # ties in vote count exercise the id tie-break
        services.vote_toggle(post=post, user=other_member)
    seen = walk(member_client, public_board, f"sort={sort}")
    assert len(seen) == len(set(seen)) == 45
    key = {"trending": "-hot_score", "top": "-vote_count", "new": "-id"}[sort]
    expected = list(
        Post.objects.filter(board=public_board).order_by(key, "-id").values_list("id", flat=True)
    )
    assert seen == expected


def test_damaged_cursor_falls_back_to_page_one_with_a_message(
    outsider_client: Client, public_board: Board, member: User
) -> None:
    make_post(public_board, member, title="Only idea")
    url = reverse("boards:board", args=[public_board.slug])
    for cursor in ("!!!", "WzEsMiwzXQ", "eyJhIjoxfQ", "W251bGwsMV0"):
        response = outsider_client.get(url, {"cursor": cursor, "sort": "top"})
        assert response.status_code == 200
        assert "This page link is damaged" in response.text
        assert "Only idea" in response.text


def test_filters_by_status_tag_and_my_posts_and_votes(
    member_client: Client,
    outsider_client: Client,
    public_board: Board,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    mine = make_post(public_board, member, title="Member idea")
    theirs = make_post(public_board, other_member, title="Other idea")
    voted = make_post(public_board, other_member, title="Voted idea")
    services.vote_toggle(post=voted, user=member)
    planned = Status.objects.get(slug="planned")
    services.post_set_status(post=theirs, actor=moderator, status=planned)
    tag = Tag.objects.create(name="Mobile", slug="mobile")
    voted.tags.add(tag)
    url = reverse("boards:board", args=[public_board.slug])

    def titles(client: Client, **query: str) -> set[str]:
        page = client.get(url, query).text
        return {t for t in ("Member idea", "Other idea", "Voted idea") if t in page}

    assert titles(member_client, status="planned") == {"Other idea"}
    assert titles(member_client, tag="mobile") == {"Voted idea"}
    assert titles(member_client, mine="1") == {"Member idea"}
    assert titles(member_client, voted="1") == {"Member idea", "Voted idea"}
    assert titles(outsider_client, mine="1") == {"Member idea", "Other idea", "Voted idea"}
    assert titles(member_client, status="no-such-status") == {
        "Member idea",
        "Other idea",
        "Voted idea",
    }
    assert mine.pk


def test_board_rows_show_pill_tags_and_comment_count(
    outsider_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member, title="Rich row", body="An **excerpt** & more")
    post.tags.add(Tag.objects.create(name="Billing", slug="billing", color="#0ea5e9"))
    services.comment_create(post=post, author=member, body="One")
    page = outsider_client.get(reverse("boards:board", args=[public_board.slug])).text
    assert 'data-testid="status-pill">Open<' in page
    assert "Billing" in page
    assert "An excerpt &amp; more" in page  # Markdown reduced to plain text
    assert 'data-testid="comment-count">1<' in page
    assert 'data-testid="vote-count">1<' in page
