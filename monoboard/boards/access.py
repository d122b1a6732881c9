"""Who may see and do what. Every view, API handler and service asks here.

A board or post the caller may not see is reported as missing (404), never as
forbidden, so private names do not leak. Actions on things the caller *can*
see but may not change raise PermissionDenied (403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from monoboard.boards.models import Board, Comment, Post

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from monoboard.accounts.models import User

    Actor = User | AnonymousUser


def is_member(user: Actor | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def member_id(user: Actor | None) -> int | None:
    """The signed-in user's id, or None for visitors."""
    if user is None or not is_member(user):
        return None
    return int(user.pk or 0)


def is_moderator(user: Actor | None) -> bool:
    return is_member(user) and bool(getattr(user, "is_moderator", False))


def is_admin(user: Actor | None) -> bool:
    return is_member(user) and bool(getattr(user, "is_admin", False))


def visible_boards(user: Actor | None) -> QuerySet[Board]:
    boards = Board.objects.all()
    if not is_member(user):
        boards = boards.filter(is_private=False)
    return boards


def can_view_board(user: Actor | None, board: Board) -> bool:
    return not board.is_private or is_member(user)


def can_view_post(user: Actor | None, post: Post) -> bool:
    if not can_view_board(user, post.board):
        return False
    if post.hidden_at is not None:
        return can_edit_post(user, post)
    return True


def visible_merge_target(user: Actor | None, post: Post) -> Post | None:
    """The post ``post`` was merged into, if ``user`` may see it; else None.

    A merged post stays readable, but its target may be hidden or on a
    members-only board: then neither its title nor its id is shown.
    """
    target = post.merged_into if post.merged_into_id is not None else None
    if target is None or not can_view_post(user, target):
        return None
    return target


def board_or_404(user: Actor | None, slug: str) -> Board:
    board = visible_boards(user).filter(slug=slug).first()
    if board is None:
        raise Http404("No such board")
    return board


def post_or_404(user: Actor | None, post_id: int) -> Post:
    post = (
        Post.objects.select_related(
            "board", "status", "author", "merged_into", "merged_into__board"
        )
        .filter(pk=post_id)
        .first()
    )
    if post is None or not can_view_post(user, post):
        raise Http404("No such post")
    return post


def require_member(user: Actor | None) -> None:
    if not is_member(user):
        raise PermissionDenied("Sign in first.")


def require_moderator(user: Actor | None) -> None:
    if not is_moderator(user):
        raise PermissionDenied("Only moderators may do that.")


def require_admin(user: Actor | None) -> None:
    if not is_admin(user):
        raise PermissionDenied("Only admins may do that.")


def can_edit_post(user: Actor | None, post: Post) -> bool:
    uid = member_id(user)
    return is_moderator(user) or (uid is not None and post.author_id == uid)


def can_edit_comment(user: Actor | None, comment: Comment) -> bool:
    uid = member_id(user)
    return is_moderator(user) or (uid is not None and comment.author_id == uid)
