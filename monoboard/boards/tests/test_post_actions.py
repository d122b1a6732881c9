"""Posting, commenting and the moderator tools, driven through the pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for
from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Comment, Post, Status, StatusChange
from monoboard.boards.tests.pages import action_url, make_post, post_url

pytestmark = pytest.mark.django_db


def test_member_posts_an_idea_from_the_board_page(
    member_client: Client, public_board: Board
) -> None:
    board_url = reverse("boards:board", args=[public_board.slug])
    response = member_client.post(board_url, {"title": "Slack integration", "body": "**Please**"})
    post = Post.objects.get(title="Slack integration")
    assert response["Location"] == post_url(post)
    page = member_client.get(post_url(post)).text
    assert "<strong>Please</strong>" in page
    assert 'aria-pressed="true"' in page  # the author supports their own idea


def test_invalid_post_shows_the_error_and_keeps_the_text(
    member_client: Client, public_board: Board
) -> None:
    board_url = reverse("boards:board", args=[public_board.slug])
    response = member_client.post(board_url, {"title": "ab", "body": "keep me"})
    assert response.status_code == 400
    assert "at least 4 characters" in response.text
    assert "keep me" in response.text
    assert not Post.objects.exists()


def test_visitor_sees_a_sign_in_prompt_instead_of_the_form(
    outsider_client: Client, public_board: Board
) -> None:
    page = outsider_client.get(reverse("boards:board", args=[public_board.slug])).text
    assert 'data-testid="signin-prompt"' in page
    assert 'data-testid="new-post-form"' not in page
    response = outsider_client.post(
        reverse("boards:board", args=[public_board.slug]), {"title": "Anonymous idea"}
    )
    assert response.status_code == 302
    assert not Post.objects.exists()


def test_author_edits_the_post_and_others_may_not(
    member_client: Client, public_board: Board, member: User, other_member: User
) -> None:
    post = make_post(public_board, member, title="Old title")
    edit_url = action_url(post, "post_edit")
    assert client_for(other_member).post(edit_url, {"title": "Hijacked"}).status_code == 403
    response = member_client.post(edit_url, {"title": "New title", "body": "More"})
    post.refresh_from_db()
    assert post.title == "New title"
    assert response["Location"] == post_url(post)
    assert member_client.get(edit_url).status_code == 200


def test_moderator_changes_status_with_a_public_note(
    moderator_client: Client, outsider_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    planned = Status.objects.get(slug="planned")
    moderator_client.post(
        action_url(post, "post_status"), {"status": planned.pk, "note": "Coming in **May**"}
    )
    post.refresh_from_db()
    assert post.status == planned
    change = StatusChange.objects.get(post=post)
    assert change.note == "Coming in **May**"
    page = outsider_client.get(post_url(post)).text
    assert 'data-testid="status-history"' in page
    assert "Coming in **May**" in page
    roadmap = outsider_client.get(reverse("boards:roadmap")).text
    assert post.title in roadmap
    member_try = client_for(member).post(action_url(post, "post_status"), {"status": 1})
    assert member_try.status_code == 403


def test_comment_edit_and_delete_leave_markers(
    member_client: Client, moderator_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    member_client.post(action_url(post, "comment_create"), {"body": "First _thought_"})
    comment = Comment.objects.get()
    edit = action_url(post, "comment_edit", comment_id=comment.pk)
    member_client.post(edit, {"body": "Second thought"})
    page = member_client.get(post_url(post)).text
    assert "Second thought" in page
    assert 'data-testid="edited"' in page
    member_client.post(action_url(post, "comment_delete", comment_id=comment.pk))
    page = member_client.get(post_url(post)).text
    assert 'data-testid="comment-deleted"' in page
    assert "Second thought" not in page
    assert Post.objects.get(pk=post.pk).comment_count == 0
    assert member_client.post(edit, {"body": "Back"}).status_code == 403


def test_another_member_cannot_touch_my_comment(
    public_board: Board, member: User, other_member: User
) -> None:
    post = make_post(public_board, member)
    comment = services.comment_create(post=post, author=member, body="Mine")
    other = client_for(other_member)
    url = action_url(post, "comment_delete", comment_id=comment.pk)
    assert other.post(url).status_code == 403
    assert Comment.objects.get(pk=comment.pk).deleted_at is None


def test_official_response_is_highlighted_pinned_first_and_unpinnable(
    moderator_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    services.comment_create(post=post, author=member, body="Early member comment")
    moderator_client.post(
        action_url(post, "comment_create"), {"body": "We are on it", "official": "1"}
    )
    official = Comment.objects.get(is_official=True)
    page = moderator_client.get(post_url(post)).text
    assert page.index("We are on it") < page.index("Early member comment")
    assert 'data-testid="official-badge"' in page
    assert 'data-testid="pinned-badge"' in page
    pin_url = action_url(post, "comment_pin", comment_id=official.pk)
    moderator_client.post(pin_url, {"pinned": "0"})
    page = moderator_client.get(post_url(post)).text
    assert 'data-testid="pinned-badge"' not in page
    assert page.index("Early member comment") < page.index("We are on it")


def test_members_cannot_post_official_responses(
    member_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    response = member_client.post(
        action_url(post, "comment_create"), {"body": "Official?", "official": "1"}
    )
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_hide_and_unhide(
    moderator_client: Client, outsider_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    moderator_client.post(action_url(post, "post_hide"), {"hidden": "1"})
    assert outsider_client.get(post_url(post)).status_code == 404
    assert 'data-testid="hidden-notice"' in moderator_client.get(post_url(post)).text
    moderator_client.post(action_url(post, "post_hide"), {"hidden": "0"})
    assert outsider_client.get(post_url(post)).status_code == 200


def test_delete_asks_first_then_removes(
    moderator_client: Client, member_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    url = action_url(post, "post_delete")
    assert member_client.post(url).status_code == 403
    confirm = moderator_client.get(url)
    assert 'data-testid="confirm-delete"' in confirm.text
    assert Post.objects.filter(pk=post.pk).exists()
    response = moderator_client.post(url)
    assert response["Location"] == reverse("boards:board", args=[public_board.slug])
    assert not Post.objects.filter(pk=post.pk).exists()


def test_voters_list_is_for_moderators_only(
    moderator_client: Client, member_client: Client, public_board: Board, member: User
) -> None:
    post = make_post(public_board, member)
    assert "mem@example.com" in moderator_client.get(post_url(post)).text
    assert 'data-testid="voters"' not in member_client.get(post_url(post)).text
