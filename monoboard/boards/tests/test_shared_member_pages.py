"""Signed-in board and post pages come from one shared shell: each viewer sees only their own parts.

Two members read the same pages one after the other, so the second is served
the shell the first one's request built. Each must see their own votes,
name, notification count, follow button, comment controls and flash
messages, never the other's, and a CSRF token that works for them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post
from monoboard.boards.tests.pages import action_url, make_post, post_url
from monoboard.notifications import services as notifications
from monoboard.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db

SHARED = "X-Shared-Page"


def _pressed(html: str, post: Post) -> bool:
    """Whether the vote button of ``post`` on the page is pressed."""
    form = re.search(rf'<form[^>]*action="[^"]*/p/{post.pk}/vote/"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no vote form for post {post.pk}"
    return 'aria-pressed="true"' in form.group(1)


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _page(client: Client, url: str) -> tuple[str, str | None]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "\x00" not in html, "a marker was left in the page"
    return html, response.get(SHARED)


@pytest.fixture
def two_posts(public_board: Board, admin: User) -> tuple[Post, Post]:
    return make_post(public_board, admin, "Dark mode"), make_post(public_board, admin, "Exports")


def test_board_page_shows_each_member_their_own_votes_and_name(
    public_board: Board,
    member: User,
    other_member: User,
    two_posts: tuple[Post, Post],
) -> None:
    dark, exports = two_posts
    services.vote_toggle(post=dark, user=member)
    services.vote_toggle(post=exports, user=other_member)
    url = reverse("boards:board", args=[public_board.slug])
    mel, oscar = Client(), Client()
    mel.force_login(member)
    oscar.force_login(other_member)

    oscar_html, first = _page(oscar, url)
    mel_html, second = _page(mel, url)

    assert (first, second) == ("miss", "hit")
    assert _pressed(mel_html, dark) and not _pressed(mel_html, exports)
    assert _pressed(oscar_html, exports) and not _pressed(oscar_html, dark)
    assert "Mel Member" in mel_html and "Oscar Other" not in mel_html
    assert "Oscar Other" in oscar_html and "Mel Member" not in oscar_html


def test_each_member_gets_a_csrf_token_that_works_for_them(
    public_board: Board, member: User, other_member: User, two_posts: tuple[Post, Post]
) -> None:
    dark, _ = two_posts
    url = reverse("boards:board", args=[public_board.slug])
    mel, oscar = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    mel.force_login(member)
    oscar.force_login(other_member)
    oscar_html, _ = _page(oscar, url)
    mel_html, shared = _page(mel, url)
    assert shared == "hit"

    vote = action_url(dark, "vote")
    before = dark.votes.count()
    assert mel.post(vote, {"csrfmiddlewaretoken": _token(mel_html)}).status_code == 302
    assert oscar.post(vote, {"csrfmiddlewaretoken": _token(oscar_html)}).status_code == 302
    assert dark.votes.count() == before + 2


def test_a_vote_shows_at_once_to_the_voter_and_the_count_to_others(
    public_board: Board, member: User, other_member: User, two_posts: tuple[Post, Post]
) -> None:
    dark, _ = two_posts
    url = reverse("boards:board", args=[public_board.slug])
    mel, oscar = Client(), Client()
    mel.force_login(member)
    oscar.force_login(other_member)
    _page(oscar, url)
    _page(mel, url)

    mel.post(action_url(dark, "vote"))
    mel_html, shared = _page(mel, url)
    oscar_html, _ = _page(oscar, url)

    assert shared == "miss"  # the vote made the shell stale
    assert _pressed(mel_html, dark) and not _pressed(oscar_html, dark)
    count = dark.votes.count()
    assert re.search(rf'id="post-{dark.pk}".*?vote-count">{count}<', oscar_html, re.S)


def test_notification_counts_and_flash_messages_stay_personal(
    public_board: Board, member: User, other_member: User, two_posts: tuple[Post, Post]
) -> None:
    dark, _ = two_posts
    Notification.objects.create(user=member, kind=Kind.COMMENT, post=dark, text="For Mel")
    url = reverse("boards:board", args=[public_board.slug])
    mel, oscar = Client(), Client()
    mel.force_login(member)
    oscar.force_login(other_member)

    # A damaged cursor adds a flash message while the page renders: Mel sees it,
    # and the page it was part of is not kept for anyone else.
    warned, shared = _page(mel, url + "?cursor=broken")
    assert 'data-testid="messages"' in warned and shared == "miss"
    oscar_html, shared = _page(oscar, url + "?cursor=broken")
    assert shared == "miss" and 'class="notif-badge"' not in oscar_html

    mel_html, _ = _page(mel, url)
    oscar_html, shared = _page(oscar, url)
    assert shared == "hit"
    assert re.search(r'class="notif-badge"[^>]*>1<', mel_html)
    assert 'class="notif-badge"' not in oscar_html
    assert 'data-testid="messages"' not in oscar_html


def test_post_page_follow_state_and_comment_controls_are_the_viewers_own(
    public_board: Board, admin: User, member: User, other_member: User
) -> None:
    post = make_post(public_board, admin, "Dark mode")
    mine = services.comment_create(post=post, author=member, body="Mel's comment")
    services.comment_create(post=post, author=other_member, body="Oscar's comment")
    notifications.follow_set(actor=member, post=post, following=True)
    notifications.follow_set(actor=other_member, post=post, following=False)
    services.vote_toggle(post=post, user=other_member)
    mel, oscar = Client(), Client()
    mel.force_login(member)
    oscar.force_login(other_member)

    oscar_html, first = _page(oscar, post_url(post))
    mel_html, second = _page(mel, post_url(post))

    assert (first, second) == ("miss", "hit")
    edit_mine = reverse(
        "boards:comment_edit",
        kwargs={"board_slug": public_board.slug, "post_id": post.pk, "comment_id": mine.pk},
    )
    assert edit_mine in mel_html and edit_mine not in oscar_html
    assert mel_html.count('data-testid="edit-comment"') == 1
    assert oscar_html.count('data-testid="edit-comment"') == 1  # Oscar's own comment only
    assert ">Unfollow<" in mel_html and ">Follow<" in oscar_html
    assert _pressed(oscar_html, post) and not _pressed(mel_html, post)


def test_authors_moderators_and_admins_are_not_served_a_members_page(
    public_board: Board,
    admin: User,
    moderator: User,
    member: User,
    other_member: User,
    admin_client: Client,
    moderator_client: Client,
) -> None:
    post = make_post(public_board, member, "Mel's own idea")
    oscar = Client()
    oscar.force_login(other_member)
    _page(oscar, post_url(post))
    _page(oscar, reverse("boards:board", args=[public_board.slug]))

    mel = Client()
    mel.force_login(member)
    author_html, shared = _page(mel, post_url(post))
    assert shared is None and 'data-testid="edit-post"' in author_html

    mod_html, shared = _page(moderator_client, post_url(post))
    assert shared is None and 'data-testid="moderator-tools"' in mod_html

    board_html, shared = _page(admin_client, reverse("boards:board", args=[public_board.slug]))
    assert shared == "miss"  # admins share a shell of their own: it has the admin menu
    assert 'data-testid="admin-menu"' in board_html and "Ada Admin" in board_html
    oscar_board, _ = _page(oscar, reverse("boards:board", args=[public_board.slug]))
    assert 'data-testid="admin-menu"' not in oscar_board


def test_my_votes_filter_is_never_shared(
    public_board: Board, member: User, other_member: User, two_posts: tuple[Post, Post]
) -> None:
    dark, exports = two_posts
    services.vote_toggle(post=dark, user=member)
    services.vote_toggle(post=exports, user=other_member)
    url = reverse("boards:board", args=[public_board.slug]) + "?voted=1"
    mel, oscar = Client(), Client()
    mel.force_login(member)
    oscar.force_login(other_member)
    mel_html, shared = _page(mel, url)
    oscar_html, _ = _page(oscar, url)
    assert shared is None
    assert "Dark mode" in mel_html and "Exports" not in mel_html
    assert "Exports" in oscar_html and "Dark mode" not in oscar_html


def test_private_board_shell_is_not_served_to_a_visitor(
    private_board: Board, admin: User, member: User, settings: Any
) -> None:
    make_post(private_board, admin, "Secret plan")
    url = reverse("boards:board", args=[private_board.slug])
    mel = Client()
    mel.force_login(member)
    assert "Secret plan" in _page(mel, url)[0]
    assert Client().get(url).status_code == 404
