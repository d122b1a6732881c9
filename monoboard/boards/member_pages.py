"""Board and post pages for signed-in members, from a shared shell (``pagecache.shared``).

This module knows which parts of these two pages are personal and how to
fill them for one viewer; the views decide whether a request may share.

Personal parts: the CSRF token, the top bar's name and notification bell,
each vote button (pressed or not: two forms rendered once per shell), the
follow button, and the controls on a comment (its author's: two forms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape

from monoboard.boards import selectors
from monoboard.boards.models import Post
from monoboard.pagecache.shared import Fill, Shell, ShellBuilder

if TYPE_CHECKING:
    from monoboard.accounts.models import User


def shell_context(builder: ShellBuilder) -> dict[str, Any]:
    """Context for a page rendered as a shell: every personal part is a marker."""
    return {"csrf_token": builder.marker("csrf"), "bell_slot": builder.marker("bell")}


def add_vote_slots(
    request: HttpRequest, builder: ShellBuilder, posts: list[Post], context: dict[str, Any]
) -> None:
    """Mark each post's vote button as a slot with its two forms (not voted, voted)."""
    for post in posts:
        own = getattr(post, "viewer_voted", False)
        forms = []
        for voted in (False, True):
            post.viewer_voted = voted  # type: ignore[attr-defined]
            forms.append(render_to_string("boards/_vote.html", {**context, "post": post}, request))
        post.viewer_voted = own  # type: ignore[attr-defined]
        builder.add_variants(f"vote:{post.pk}", *forms)
        post.vote_slot = builder.marker(f"vote:{post.pk}")  # type: ignore[attr-defined]


def add_comment_slots(
    request: HttpRequest, builder: ShellBuilder, comments: list[Any], context: dict[str, Any]
) -> dict[int, int]:
    """Mark each comment's controls as a slot (someone else's, the viewer's own).

    Returns comment id -> author id, which ``viewer_parts`` needs to choose.
    """
    authors: dict[int, int] = {}
    for comment in comments:
        forms = [
            render_to_string(
                "boards/_comment_controls.html", {**context, "c": comment, "mine": mine}, request
            )
            for mine in (False, True)
        ]
        builder.add_variants(f"comment:{comment.pk}", *forms)
        comment.controls_slot = builder.marker(f"comment:{comment.pk}")
        authors[comment.pk] = comment.author_id or 0
    return authors


def _top_bar(request: HttpRequest, user: User) -> dict[str, str]:
    token = get_token(request)
    bell = render_to_string("notifications/bell.html", {"request": request, "user": user})
    return {"csrf": token, "name": escape(user.display_name), "bell": bell}


def _chooser(voted: set[int], authors: dict[int, int], viewer_id: int) -> Callable[[str], int]:
    def choose(slot: str) -> int:
        kind, _, raw_id = slot.partition(":")
        if kind == "vote":
            return int(int(raw_id) in voted)
        if kind == "comment":
            return int(authors.get(int(raw_id)) == viewer_id)
        raise KeyError(slot)

    return choose


def board_viewer(request: HttpRequest, shell: Shell) -> Fill:
    user: User = request.user  # type: ignore[assignment]  # a member: the view checked
    voted = selectors.voted_post_ids(user, shell.facts["posts"])
    return Fill(values=_top_bar(request, user), choose=_chooser(voted, {}, user.pk))


def post_viewer(request: HttpRequest, post: Post, shell: Shell) -> Fill:
    user: User = request.user  # type: ignore[assignment]
    values = _top_bar(request, user)
    values["follow"] = render_to_string(
        "notifications/follow_button.html",
        {"request": request, "user": user, "post": post, "csrf_token": values["csrf"]},
    )
    voted = selectors.voted_post_ids(user, [post.pk])
    return Fill(values=values, choose=_chooser(voted, shell.facts["comment_authors"], user.pk))
