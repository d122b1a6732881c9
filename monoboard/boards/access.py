"""Who may see and do what. Every view, API handler and service asks here.

The role predicates come from ``monoboard.core.roles``; this module adds the
rules about boards and posts.

A board or post the caller may not see is reported as missing (404), never as
forbidden, so private names do not leak. Actions on things the caller *can*
see but may not change raise PermissionDenied (403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from monoboard.boards.models import Board, Comment, Post
from monoboard.core.roles import (
    is_admin,
    is_member,
    is_moderator,
    member_id,
    require_admin,
    require_member,
    require_moderator,
)
from monoboard.lib import cacheaside

__all__ = [
    "board_or_404",
    "can_edit_comment",
    "can_edit_post",
    "can_view_board",
    "can_view_post",
    "is_admin",
    "is_member",
    "is_moderator",
    "member_id",
    "post_or_404",
    "require_admin",
    "require_member",
    "require_moderator",
    "visible_boards",
]

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from monoboard.accounts.models import User

    Actor = User | AnonymousUser


def _listed(value: str) -> list[str]:
    """The items of a comma-wrapped list (",a,b,")."""
    return [item for item in value.split(",") if item]


def email_domain(user: Actor | None) -> str:
    email = str(getattr(user, "email", "") or "")
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def _rules_q(user: Actor | None) -> Q:
    """Boards whose access rules (beyond public/private) ``user`` meets, as SQL.

    Kept equal to :func:`meets_access_rules`, its Python twin for one board.
    """
    if not is_member(user):
        return Q(sso_only=False, allowed_email_domains="", allowed_roles="", allowed_plans="")
    if is_moderator(user):
        return Q()
    q = Q(allowed_email_domains="") | Q(allowed_email_domains__contains=f",{email_domain(user)},")
    if not getattr(user, "external_id", None):
        q &= Q(sso_only=False)
    roles = Q(allowed_roles="")
    for role in _listed(str(getattr(user, "sso_roles", ""))):
        roles |= Q(allowed_roles__contains=f",{role},")
    plans = Q(allowed_plans="")
    for plan in {p for p in (_plan_of(user),) if p}:
        plans |= Q(allowed_plans__contains=f",{plan},")
    return q & roles & plans


def _plan_of(user: Actor | None) -> str:
    """The person's plan, as their last signed token said."""
    return str(getattr(user, "plan", "") or "").lower()


def meets_access_rules(user: Actor | None, board: Board) -> bool:
    """Whether ``user`` meets the board's allowed domains, SSO-only, roles and plans."""
    if not board.has_access_rules:
        return True
    if not is_member(user):
        return False
    if is_moderator(user):
        return True
    domains = _listed(board.allowed_email_domains)
    if domains and email_domain(user) not in domains:
        return False
    if board.sso_only and not getattr(user, "external_id", None):
        return False
    roles = _listed(board.allowed_roles)
    if roles and not set(roles) & set(_listed(str(getattr(user, "sso_roles", "")))):
        return False
    plans = _listed(board.allowed_plans)
    return not plans or _plan_of(user) in plans


def visible_boards(user: Actor | None) -> QuerySet[Board]:
    boards = Board.objects.all()
    if not is_member(user):
        boards = boards.filter(is_private=False)
    return boards.filter(_rules_q(user))


def can_view_board(user: Actor | None, board: Board) -> bool:
    return (not board.is_private or is_member(user)) and meets_access_rules(user, board)


def is_public_post(post: Post) -> bool:
    """Whether visitors who are not signed in may read ``post`` (shared caches, webhooks)."""
    return post.board.is_public and post.hidden_at is None


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


def all_boards() -> list[Board]:
    """Every board (a cache-aside read: pages look a board up on every request)."""
    return cacheaside.cached("boards", "boards", lambda: list(Board.objects.all()))


def board_or_404(user: Actor | None, slug: str) -> Board:
    if cacheaside.enabled():
        found = [b for b in all_boards() if b.slug == slug and can_view_board(user, b)]
        board = found[0] if found else None
    else:
        board = visible_boards(user).filter(slug=slug).first()
    if board is None:
        raise Http404("No such board")
    return board


def post_or_404(user: Actor | None, post_id: int, *, light: bool = False) -> Post:
    """The post if ``user`` may see it; ``light``: with its board only, not the
    status, author and merge target a full page shows."""
    related = (
        ("board",) if light else ("board", "status", "author", "merged_into", "merged_into__board")
    )
    post = Post.objects.select_related(*related).filter(pk=post_id).first()
    if post is None or not can_view_post(user, post):
        raise Http404("No such post")
    return post


def can_edit_post(user: Actor | None, post: Post) -> bool:
    uid = member_id(user)
    return is_moderator(user) or (uid is not None and post.author_id == uid)


def can_edit_comment(user: Actor | None, comment: Comment) -> bool:
    uid = member_id(user)
    return is_moderator(user) or (uid is not None and comment.author_id == uid)
