"""Merging duplicates from the post page, and undoing it, loses and doubles nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_user
from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Vote
from monoboard.boards.tests.pages import action_url, make_post, post_url

pytestmark = pytest.mark.django_db


def voters(post: Post) -> set[int]:
    return set(Vote.objects.filter(post=post).values_list("user_id", flat=True))


def test_merge_and_unmerge_over_http_are_lossless(
    moderator_client: Client, public_board: Board, member: User, other_member: User
) -> None:
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(public_board, other_member, title="Dark mode")
    both = make_user("both@example.com")
    only_source = make_user("src@example.com")
    for user in (both, only_source):
        services.vote_toggle(post=source, user=user)
    services.vote_toggle(post=target, user=both)
    source_before, target_before = voters(source), voters(target)

    search = moderator_client.get(post_url(source), {"merge_q": "mode"})
    assert 'data-testid="merge-candidates"' in search.text
    assert "Dark mode" in search.text

    response = moderator_client.post(action_url(source, "post_merge"), {"target": target.pk})
    assert response.status_code == 302
    target.refresh_from_db()
    assert voters(target) == source_before | target_before
    assert target.vote_count == len(source_before | target_before) == 4
    assert voters(source) == source_before
    page = moderator_client.get(post_url(source)).text
    assert 'data-testid="merged-into"' in page
    assert post_url(target) in page
    assert "Dark theme" not in moderator_client.get(f"/b/{public_board.slug}/").text

    assert moderator_client.post(action_url(source, "post_unmerge")).status_code == 302
    source.refresh_from_db()
    target.refresh_from_db()
    assert voters(target) == target_before
    assert target.vote_count == len(target_before)
    assert voters(source) == source_before
    assert source.vote_count == len(source_before)
    assert source.is_listed
    assert 'data-testid="merged-into"' not in moderator_client.get(post_url(source)).text


def test_members_cannot_merge(
    member_client: Client, public_board: Board, member: User, other_member: User
) -> None:
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(public_board, other_member, title="Dark mode")
    response = member_client.post(action_url(source, "post_merge"), {"target": target.pk})
    assert response.status_code == 403
    assert Post.objects.get(pk=source.pk).merged_into_id is None
    assert 'data-testid="moderator-tools"' not in member_client.get(post_url(source)).text


def test_merge_across_boards_is_refused(
    moderator_client: Client, public_board: Board, member: User
) -> None:
    other = Board.objects.create(name="Bugs", slug="bugs")
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(other, member, title="Dark mode")
    response = moderator_client.post(
        action_url(source, "post_merge"), {"target": target.pk}, follow=True
    )
    assert "only be merged within one board" in response.text
    assert Post.objects.get(pk=source.pk).merged_into_id is None


def test_merged_post_cannot_be_voted_on(
    member_client: Client, moderator: User, public_board: Board, member: User
) -> None:
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(public_board, moderator, title="Dark mode")
    services.post_merge(source=source, target=target, actor=moderator)
    response = member_client.post(action_url(source, "vote"), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert Post.objects.get(pk=source.pk).vote_count == 1
