"""Reads for pages and the API. Query counts are pinned in tests.

Lists use keyset pagination over the partial indexes declared on Post; a
filter or sort that has no index is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from monoboard.boards import access
from monoboard.boards.models import (
    Attachment,
    Board,
    Comment,
    Post,
    Status,
    StatusChange,
    Tag,
    Vote,
)
from monoboard.lib import cacheaside
from monoboard.lib.cursor import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from monoboard.boards.access import Actor

Sort = Literal["trending", "top", "new"]
SORTS: tuple[Sort, ...] = ("trending", "top", "new")
SORT_KEY: dict[Sort, str | None] = {"trending": "hot_score", "top": "vote_count", "new": None}


@dataclass(frozen=True)
class PostFilter:
    sort: Sort = "trending"
    status: Status | None = None
    tag: Tag | None = None
    mine: bool = False
    voted: bool = False


@dataclass(frozen=True)
class PostPage:
    posts: list[Post]
    next_cursor: str | None


def _with_viewer_vote(posts: QuerySet[Post], user: Actor | None) -> QuerySet[Post]:
    uid = access.member_id(user)
    if uid is None:
        return posts
    return posts.annotate(
        viewer_voted=Exists(Vote.objects.filter(post=OuterRef("pk"), user_id=uid))
    )


def board_posts(
    board: Board,
    user: Actor | None,
    filters: PostFilter,
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> PostPage:
    """One page of a board's listed posts. Raises BadCursor for a damaged cursor."""
    posts = Post.objects.filter(board=board, is_listed=True)
    if filters.status is not None:
        posts = posts.filter(status=filters.status)
    if filters.tag is not None:
        posts = posts.filter(tags=filters.tag)
    uid = access.member_id(user)
    if filters.mine and uid is not None:
        posts = posts.filter(author_id=uid)
    if filters.voted and uid is not None:
        posts = posts.filter(Exists(Vote.objects.filter(post=OuterRef("pk"), user_id=uid)))
    key = SORT_KEY[filters.sort]
    if cursor:
        if key is None:
            (last_id,) = decode_cursor(cursor, length=1)
            posts = posts.filter(id__lt=last_id)
        else:
            last_key, last_id = decode_cursor(cursor, length=2)
            posts = posts.filter(
                Q(**{f"{key}__lt": last_key}) | Q(**{key: last_key, "id__lt": last_id})
            )
    order = [f"-{key}", "-id"] if key else ["-id"]
    posts = posts.order_by(*order).select_related("status", "author")
    posts = _with_viewer_vote(posts, user).prefetch_related("tags")
    rows = list(posts[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, key), last.pk] if key else [last.pk])
    return PostPage(posts=rows, next_cursor=next_cursor)


def voted_post_ids(user: Actor | None, post_ids: list[int]) -> set[int]:
    """Which of ``post_ids`` the viewer has voted for (one query)."""
    uid = access.member_id(user)
    if uid is None or not post_ids:
        return set()
    return set(
        Vote.objects.filter(user_id=uid, post_id__in=post_ids).values_list("post_id", flat=True)
    )


def post_detail(post_id: int, user: Actor | None) -> Post:
    """The post, with ``merge_target``: the post it went into, when ``user`` may see it."""
    post = access.post_or_404(user, post_id)
    post.merge_target = access.visible_merge_target(user, post)  # type: ignore[attr-defined]
    uid = access.member_id(user)
    if uid is not None:
        post.viewer_voted = Vote.objects.filter(post=post, user_id=uid).exists()  # type: ignore[attr-defined]
    return post


def post_comments(post: Post, *, limit: int | None = None) -> list[Comment]:
    """Pinned first, then oldest first; deleted comments keep their place."""
    comments = (
        Comment.objects.filter(post=post)
        .select_related("author")
        .order_by("-is_pinned", "created_at", "id")
    )
    return list(comments if limit is None else comments[:limit])


@dataclass(frozen=True)
class PostAttachments:
    on_post: list[Attachment]
    by_comment: dict[int, list[Attachment]]


def post_attachments(post: Post) -> PostAttachments:
    """The post's images and its comments' images, in upload order, in one query."""
    on_post: list[Attachment] = []
    by_comment: dict[int, list[Attachment]] = {}
    for row in Attachment.objects.filter(post=post).order_by("id"):
        if row.comment_id is None:
            on_post.append(row)
        else:
            by_comment.setdefault(row.comment_id, []).append(row)
    return PostAttachments(on_post=on_post, by_comment=by_comment)


def attachments_for_posts(post_ids: list[int]) -> dict[int, list[Attachment]]:
    """Each post's own images (not its comments'), for API lists, in one query."""
    found: dict[int, list[Attachment]] = {pk: [] for pk in post_ids}
    rows = Attachment.objects.filter(post_id__in=post_ids, comment__isnull=True).order_by("id")
    for row in rows:
        assert row.post_id is not None
        found[row.post_id].append(row)
    return found


def comment_attachments(comment: Comment) -> list[Attachment]:
    return list(Attachment.objects.filter(comment=comment).order_by("id"))


def attachment_by_key(key: str) -> Attachment | None:
    """An attached image by its public key, with its post, board and comment; None if detached."""
    return (
        Attachment.objects.select_related("post__board", "comment")
        .filter(key=key, post__isnull=False)
        .first()
    )


def post_status_history(post: Post) -> list[StatusChange]:
    return list(
        StatusChange.objects.filter(post=post)
        .select_related("from_status", "to_status", "changed_by")
        .order_by("created_at", "id")
    )


def post_voters(post: Post, *, limit: int = 200) -> list[Vote]:
    return list(
        Vote.objects.filter(post=post).select_related("user").order_by("-created_at")[:limit]
    )


def roadmap(user: Actor | None, *, per_column: int = 50) -> list[tuple[Status, list[Post]]]:
    """One column per roadmap status, most-voted first, from boards the viewer may see."""
    statuses = list(Status.objects.filter(on_roadmap=True))
    boards = list(access.visible_boards(user).values_list("pk", flat=True))
    columns = []
    for status in statuses:
        posts = list(
            Post.objects.filter(status=status, is_listed=True, board_id__in=boards)
            .select_related("board")
            .order_by("-vote_count", "-id")[:per_column]
        )
        columns.append((status, posts))
    return columns


def roadmap_totals(user: Actor | None) -> dict[int, int]:
    """How many listed posts each roadmap status has, on boards the viewer may see."""
    boards = access.visible_boards(user).values("pk")
    rows = (
        Post.objects.filter(status__on_roadmap=True, is_listed=True, board_id__in=boards)
        .values("status_id")
        .annotate(n=Count("id"))
    )
    return {row["status_id"]: row["n"] for row in rows}


def status_posts(user: Actor | None, status: Status, *, offset: int, limit: int) -> list[Post]:
    """One page of a status's listed posts, most-voted first (the roadmap's "See all")."""
    boards = access.visible_boards(user).values("pk")
    return list(
        Post.objects.filter(status=status, is_listed=True, board_id__in=boards)
        .select_related("board")
        .order_by("-vote_count", "-id")[offset : offset + limit]
    )


def boards_overview(user: Actor | None) -> list[Board]:
    return list(access.visible_boards(user))


def all_statuses() -> list[Status]:
    return cacheaside.cached("statuses", "catalog", lambda: list(Status.objects.all()))


def all_tags() -> list[Tag]:
    return cacheaside.cached("tags", "catalog", lambda: list(Tag.objects.all()))


def merge_candidates(post: Post, query: str, *, limit: int = 10) -> list[Post]:
    """Posts on the same board whose title contains ``query``, for the merge form."""
    return list(
        Post.objects.filter(board_id=post.board_id, is_listed=True, title__icontains=query)
        .exclude(pk=post.pk)
        .order_by("-vote_count", "-id")[:limit]
    )


# --- Site settings pages ------------------------------------------------------------


def settings_overview() -> dict[str, int]:
    """Headline counts for the admins' settings overview."""
    from django.contrib.auth import get_user_model

    return {
        "boards": Board.objects.count(),
        "posts": Post.objects.count(),
        "votes": Vote.objects.count(),
        "comments": Comment.objects.count(),
        "users": get_user_model().objects.count(),
        "statuses": Status.objects.count(),
        "tags": Tag.objects.count(),
    }


def settings_boards() -> list[Board]:
    """Every board, private ones included, each with ``post_count``."""
    return list(Board.objects.annotate(post_count=Count("posts")).order_by("position", "name"))


def settings_statuses() -> list[Status]:
    """Statuses in their display order, each with ``post_count``."""
    return list(Status.objects.annotate(post_count=Count("posts")).order_by("position", "id"))


def settings_tags() -> list[Tag]:
    """Tags by name, each with ``post_count``."""
    return list(Tag.objects.annotate(post_count=Count("posts")).order_by("name"))


def board_for_settings(board_id: int) -> Board | None:
    return Board.objects.annotate(post_count=Count("posts")).filter(pk=board_id).first()


def status_for_settings(status_id: int) -> Status | None:
    return Status.objects.annotate(post_count=Count("posts")).filter(pk=status_id).first()


def tag_for_settings(tag_id: int) -> Tag | None:
    return Tag.objects.annotate(post_count=Count("posts")).filter(pk=tag_id).first()


def boards_with_post_counts(user: Actor | None) -> list[Board]:
    """Visible boards, each with ``post_total`` (listed posts), in one query."""
    return list(
        access.visible_boards(user).annotate(
            post_total=Count("posts", filter=Q(posts__is_listed=True))
        )
    )


def comment_on_post(post: Post, comment_id: int) -> Comment:
    """A comment of ``post``; 404 when it belongs elsewhere."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id, post=post).first()
    if comment is None:
        raise Http404("No such comment")
    return comment


def post_tags(post: Post) -> list[Tag]:
    return list(post.tags.all())
