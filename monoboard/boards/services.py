"""Every write to boards, posts, votes, comments and statuses goes through here.

Each function checks that the actor may act, validates, and writes inside one
transaction whose last write is the domain event (``monoboard.core.events``):
the change and the record of what must follow it commit together. Consumers
of the event log act on it after commit.
Views, the API and management commands all call these; none of them writes
models directly.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from monoboard.boards import access, branding, files, images
from monoboard.boards.models import (
    Attachment,
    Board,
    Comment,
    Post,
    SiteSettings,
    Status,
    StatusChange,
    Tag,
    Vote,
)
from monoboard.boards.ranking import hot_score
from monoboard.core.events import DomainEvent, emit
from monoboard.jobs.enqueue import enqueue_many_on_commit, enqueue_on_commit
from monoboard.lib.markdown import render_markdown

if TYPE_CHECKING:
    from monoboard.accounts.models import User

TITLE_MIN, TITLE_MAX = 4, 160
BODY_MAX = 20_000
COMMENT_MAX = 10_000


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN:
        raise ValidationError(
            {"title": f"Give the post a title of at least {TITLE_MIN} characters."}
        )
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"Keep the title under {TITLE_MAX} characters."})
    return title


def _clean_body(
    body: str, *, field: str = "body", limit: int = BODY_MAX, required: bool = False
) -> str:
    body = (body or "").strip()
    if required and not body:
        raise ValidationError({field: "This cannot be empty."})
    if len(body) > limit:
        raise ValidationError({field: f"Keep this under {limit} characters."})
    return body


def _post_slug(title: str) -> str:
    return slugify(title)[:80].strip("-") or "post"


def _event(kind: str, post: Post, actor: User | None, **data: object) -> None:
    emit(
        DomainEvent(
            kind=kind,
            post_id=post.pk,
            board_id=post.board_id,
            actor_id=actor.pk if actor else None,
            data=dict(data),
        )
    )


def _site_changed(kind: str, actor: User, *, board_id: int | None = None) -> None:
    """Record a change to boards, statuses, tags or the site's name (no post involved).

    Called after the write, in its transaction: a write refused or rolled
    back records nothing, and no reader sees the event before the change.
    """
    emit(DomainEvent(kind=kind, board_id=board_id, actor_id=actor.pk))


# --- Boards, statuses, tags, site -------------------------------------------------


@transaction.atomic
def board_create(
    *, actor: User, name: str, slug: str = "", description: str = "", is_private: bool = False
) -> Board:
    access.require_admin(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "A board needs a name."})
    slug = slugify(slug or name)[:80]
    if not slug:
        raise ValidationError({"slug": "Use letters or digits in the address."})
    if Board.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A board at /b/{slug}/ already exists."})
    position = Board.objects.count()
    board = Board.objects.create(
        name=name,
        slug=slug,
        description=description.strip(),
        is_private=is_private,
        position=position,
    )
    _site_changed("board.created", actor, board_id=board.pk)
    return board


@transaction.atomic
def board_update(
    *, actor: User, board: Board, name: str, description: str, is_private: bool
) -> Board:
    access.require_admin(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "A board needs a name."})
    board.name, board.description, board.is_private = name, description.strip(), is_private
    board.save(update_fields=["name", "description", "is_private"])
    _site_changed("board.updated", actor, board_id=board.pk)
    return board


@transaction.atomic
def board_delete(*, actor: User, board: Board) -> None:
    access.require_admin(actor)
    board_id = board.pk
    board.delete()
    _site_changed("board.deleted", actor, board_id=board_id)


def _clean_color(color: str) -> str:
    color = (color or "").strip()
    if (
        len(color) != 7
        or not color.startswith("#")
        or any(c not in "0123456789abcdefABCDEF" for c in color[1:])
    ):
        raise ValidationError({"color": "Use a colour like #2563eb."})
    return color.lower()


@dataclass
class StatusFields:
    name: str
    color: str = "#6b7280"
    on_roadmap: bool = False
    is_closed: bool = False
    is_default: bool = False


@transaction.atomic
def status_save(*, actor: User, fields: StatusFields, status: Status | None = None) -> Status:
    access.require_admin(actor)
    name = " ".join((fields.name or "").split())
    if not name:
        raise ValidationError({"name": "A status needs a name."})
    slug = slugify(name)[:40]
    if not slug:
        raise ValidationError({"name": "Use at least one letter or digit in the name."})
    clash = Status.objects.filter(slug=slug)
    if status is not None:
        clash = clash.exclude(pk=status.pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a status called {name!r}."})
    if status is None:
        status = Status(position=Status.objects.count())
    status.name, status.slug = name, slug
    status.color = _clean_color(fields.color)
    status.on_roadmap, status.is_closed = fields.on_roadmap, fields.is_closed
    if fields.is_default:
        Status.objects.exclude(pk=status.pk).update(is_default=False)
        status.is_default = True
    elif status.is_default:
        raise ValidationError({"is_default": "Make another status the default first."})
    status.save()
    _site_changed("status.saved", actor)
    return status


@transaction.atomic
def status_delete(*, actor: User, status: Status) -> None:
    access.require_admin(actor)
    # Locked first: a status change into this status (post_set_status locks
    # it too) either commits before the checks below see it, or waits and
    # then finds the status gone; neither side ends in an integrity error.
    locked = Status.objects.select_for_update().filter(pk=status.pk).first()
    if locked is None:
        raise ValidationError({"status": "This status no longer exists."})
    status = locked
    if status.is_default:
        raise ValidationError({"status": "The default status cannot be deleted."})
    if status.posts.exists():
        raise ValidationError(
            {"status": f"Move the {status.posts.count()} posts in {status.name!r} first."}
        )
    in_history = StatusChange.objects.filter(Q(from_status=status) | Q(to_status=status))
    if in_history.exists():
        raise ValidationError(
            {
                "status": f"{status.name!r} is part of the status history of "
                f"{in_history.values('post_id').distinct().count()} posts, so it stays; "
                "rename it or take it off the roadmap instead."
            }
        )
    try:
        status.delete()
    except ProtectedError as exc:  # the checks above make this a bug; answer it clearly
        raise ValidationError({"status": f"{status.name!r} is still in use."}) from exc
    _site_changed("status.deleted", actor)


@transaction.atomic
def status_reorder(*, actor: User, ordered_ids: list[int]) -> None:
    access.require_admin(actor)
    for position, status_id in enumerate(ordered_ids):
        Status.objects.filter(pk=status_id).update(position=position)
    _site_changed("status.reordered", actor)


def default_status() -> Status:
    status = Status.objects.filter(is_default=True).first() or Status.objects.first()
    if status is None:
        raise ValidationError({"status": "No statuses exist; an admin must create one."})
    return status


@transaction.atomic
def tag_save(*, actor: User, name: str, color: str = "#2563eb", tag: Tag | None = None) -> Tag:
    access.require_admin(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "A tag needs a name."})
    slug = slugify(name)[:40]
    if not slug:
        raise ValidationError({"name": "Use at least one letter or digit in the name."})
    clash = Tag.objects.filter(slug=slug)
    if tag is not None:
        clash = clash.exclude(pk=tag.pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a tag called {name!r}."})
    tag = tag or Tag()
    tag.name, tag.slug, tag.color = name, slug, _clean_color(color)
    tag.save()
    _site_changed("tag.saved", actor)
    return tag


@transaction.atomic
def tag_delete(*, actor: User, tag: Tag) -> None:
    access.require_admin(actor)
    tag.delete()
    _site_changed("tag.deleted", actor)


@transaction.atomic
def site_settings_update(*, actor: User, site_name: str, tagline: str) -> SiteSettings:
    access.require_admin(actor)
    site_name = " ".join((site_name or "").split())
    if not site_name:
        raise ValidationError({"site_name": "The site needs a name."})
    site = SiteSettings.load()
    site.site_name, site.tagline = site_name[:80], tagline.strip()[:200]
    site.save()
    _site_changed("site.updated", actor)
    return site


@transaction.atomic
def site_branding_update(
    *,
    actor: User,
    accent_color: str,
    custom_css: str,
    logo: IO[bytes] | None = None,
    favicon: IO[bytes] | None = None,
    remove_logo: bool = False,
    remove_favicon: bool = False,
) -> SiteSettings:
    """Accent, custom CSS, logo and favicon. Images are decoded and re-encoded
    (``branding.py``) before they are written to the default storage."""
    access.require_admin(actor)
    accent = branding.clean_accent(accent_color)
    css = branding.clean_css(custom_css)
    files: dict[str, tuple[bytes, str]] = {}
    if logo is not None:
        files["logo"] = (branding.logo_png(logo), "png")
    if favicon is not None:
        files["favicon"] = (branding.favicon_ico(favicon), "ico")
    site = SiteSettings.load()
    site.accent_color, site.custom_css = accent, css
    if remove_logo:
        site.logo = ""
    if remove_favicon:
        site.favicon = ""
    for kind, (data, ext) in files.items():
        name = branding.storage_name(kind, data, ext)
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(data))
        setattr(site, kind, name)
    site.save()
    _site_changed("site.updated", actor)
    return site


# --- Posts ------------------------------------------------------------------------


def _resolve_tags(tag_ids: Iterable[int]) -> list[Tag]:
    ids = {int(t) for t in tag_ids}
    tags = list(Tag.objects.filter(pk__in=ids))
    if len(tags) != len(ids):
        raise ValidationError({"tags": "One of the tags does not exist."})
    return tags


def post_create(
    *,
    board: Board,
    author: User,
    title: str,
    body: str = "",
    tag_ids: Iterable[int] = (),
    uploads: Sequence[File[Any]] = (),
) -> Post:
    """A new post, with the author's vote and any attached images (all or none)."""
    access.require_member(author)
    if not access.can_view_board(author, board):
        raise PermissionDenied("You cannot post on this board.")
    title = _clean_title(title)
    body = _clean_body(body)
    staged = attachments_stage(uploads)
    try:
        return _post_create(
            board=board, author=author, title=title, body=body, tag_ids=tag_ids, staged=staged
        )
    except BaseException:
        _discard_on_failure(staged)
        raise


@transaction.atomic
def _post_create(
    *,
    board: Board,
    author: User,
    title: str,
    body: str,
    tag_ids: Iterable[int],
    staged: list[StagedImage],
) -> Post:
    tags = _resolve_tags(tag_ids) if tag_ids else []
    now = timezone.now()
    post = Post.objects.create(
        board=board,
        author=author,
        title=title,
        slug=_post_slug(title),
        body=body,
        body_html=render_markdown(body),
        status=default_status(),
        created_at=now,
        updated_at=now,
        vote_count=1,
        hot_score=hot_score(1, now),
    )
    if tags and access.is_moderator(author):
        post.tags.set(tags)
    # The author supports their own idea.
    Vote.objects.create(post=post, user=author, created_at=now)
    _attach(staged, post=post, comment=None, uploader=author)
    _event("post.created", post, author, title=title)
    return post


@transaction.atomic
def post_update(
    *, post: Post, actor: User, title: str, body: str, tag_ids: Iterable[int] | None = None
) -> Post:
    if not access.can_edit_post(actor, post):
        raise PermissionDenied("Only the author or a moderator may edit this post.")
    post.title = _clean_title(title)
    post.slug = _post_slug(post.title)
    post.body = _clean_body(body)
    post.body_html = render_markdown(post.body)
    post.updated_at = timezone.now()
    post.save(update_fields=["title", "slug", "body", "body_html", "updated_at"])
    if tag_ids is not None and access.is_moderator(actor):
        post.tags.set(_resolve_tags(tag_ids))
    _event("post.updated", post, actor, title=post.title)
    return post


def _refresh_listed(post: Post) -> None:
    post.is_listed = post.hidden_at is None and post.merged_into_id is None


@transaction.atomic
def post_set_hidden(*, post: Post, actor: User, hidden: bool) -> Post:
    access.require_moderator(actor)
    post.hidden_at = timezone.now() if hidden else None
    _refresh_listed(post)
    post.save(update_fields=["hidden_at", "is_listed"])
    _event("post.hidden" if hidden else "post.unhidden", post, actor)
    return post


@transaction.atomic
def post_delete(*, post: Post, actor: User) -> None:
    access.require_moderator(actor)
    if post.merged_posts.exists():
        raise ValidationError({"post": "Undo the merges into this post before deleting it."})
    post_id, board_id = post.pk, post.board_id
    _detach(Attachment.objects.filter(post=post))
    post.delete()
    emit(DomainEvent(kind="post.deleted", post_id=post_id, board_id=board_id, actor_id=actor.pk))


@transaction.atomic
def post_set_status(
    *,
    post: Post,
    actor: User,
    status: Status,
    note: str = "",
    announced_in: int | None = None,
) -> StatusChange | None:
    """Move ``post`` to ``status``. ``announced_in`` names the changelog entry
    whose publication made the change: its own announcement tells the
    post's followers, so the event says the usual status email is not due."""
    access.require_moderator(actor)
    note = _clean_body(note, field="note", limit=COMMENT_MAX)
    # The status row is locked before the post (always in this order) so
    # that status_delete cannot remove it while this change is uncommitted.
    present = Status.objects.select_for_update(no_key=True).filter(pk=status.pk)
    if present.values_list("pk", flat=True).first() is None:
        raise ValidationError({"status_id": "That status no longer exists."})
    locked = Post.objects.select_for_update().get(pk=post.pk)
    if locked.status_id == status.pk and not note:
        return None
    change = StatusChange.objects.create(
        post=locked, from_status_id=locked.status_id, to_status=status, changed_by=actor, note=note
    )
    Post.objects.filter(pk=post.pk).update(status=status, updated_at=timezone.now())
    post.status = status
    _event(
        "post.status_changed",
        post,
        actor,
        status=status.name,
        status_id=status.pk,
        note=note,
        change_id=change.pk,
        color=status.color,
        **({"announced_in": announced_in} if announced_in is not None else {}),
    )
    return change


# --- Votes ------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteResult:
    voted: bool
    vote_count: int


def _recount(post_id: int) -> int:
    """Store the exact vote count and the trending score that follows from it."""
    count = Vote.objects.filter(post_id=post_id).count()
    created_at = Post.objects.filter(pk=post_id).values_list("created_at", flat=True).get()
    Post.objects.filter(pk=post_id).update(vote_count=count, hot_score=hot_score(count, created_at))
    return count


@transaction.atomic
def vote_toggle(*, post: Post, user: User) -> VoteResult:
    """Add the user's vote, or take it back. Exact under concurrent toggles."""
    return _vote_apply(post=post, user=user, want=None)


@transaction.atomic
def vote_set(*, post: Post, user: User, voted: bool) -> VoteResult:
    """Make the user's vote ``voted`` (idempotent); answers the state it set.

    The current state is read under the post's row lock, so any number of
    concurrent PUTs (or DELETEs) from one person end in the state asked for.
    """
    return _vote_apply(post=post, user=user, want=voted)


def _vote_apply(*, post: Post, user: User, want: bool | None) -> VoteResult:
    """Toggle (``want`` None) or set the vote, with the post row locked.

    The post row is locked first (SQLite's IMMEDIATE transactions serialise
    writers; on PostgreSQL ``SELECT ... FOR UPDATE``), so reading the vote,
    the insert or delete and the counter update happen as one step per post.
    """
    access.require_member(user)
    if not access.can_view_post(user, post):
        raise PermissionDenied("You cannot vote on this post.")
    if post.merged_into_id is not None:
        raise ValidationError(
            {"post": "This post was merged; vote on the post it was merged into."}
        )
    locked = Post.objects.select_for_update().only("id", "vote_count", "created_at").get(pk=post.pk)
    has_vote = Vote.objects.filter(post=locked, user=user).exists()
    voted = (not has_vote) if want is None else want
    if voted == has_vote:
        post.vote_count = locked.vote_count
        return VoteResult(voted=voted, vote_count=locked.vote_count)
    if voted:
        try:
            with transaction.atomic():
                Vote.objects.create(post=locked, user=user)
        except IntegrityError:  # cannot happen under the lock; answer the truth if it does
            return VoteResult(voted=True, vote_count=_current_count(locked.pk))
    else:
        Vote.objects.filter(post=locked, user=user).delete()
    # The row is locked, so the count read with it is current: one UPDATE
    # stores the new count and the trending score that follows from it.
    count = locked.vote_count + (1 if voted else -1)
    Post.objects.filter(pk=locked.pk).update(
        vote_count=count, hot_score=hot_score(count, locked.created_at)
    )
    post.vote_count = count
    _event("vote.toggled", post, user, voted=voted, vote_count=count)
    return VoteResult(voted=voted, vote_count=count)


def _current_count(post_id: int) -> int:
    return Post.objects.filter(pk=post_id).values_list("vote_count", flat=True).get()


# --- Comments ---------------------------------------------------------------------


def comment_create(
    *,
    post: Post,
    author: User,
    body: str,
    official: bool = False,
    uploads: Sequence[File[Any]] = (),
) -> Comment:
    """A new comment, with any attached images (all or none)."""
    access.require_member(author)
    if not access.can_view_post(author, post):
        raise PermissionDenied("You cannot comment on this post.")
    if official:
        access.require_moderator(author)
    body = _clean_body(body, limit=COMMENT_MAX, required=True)
    staged = attachments_stage(uploads)
    try:
        return _comment_create(
            post=post, author=author, body=body, official=official, staged=staged
        )
    except BaseException:
        _discard_on_failure(staged)
        raise


@transaction.atomic
def _comment_create(
    *, post: Post, author: User, body: str, official: bool, staged: list[StagedImage]
) -> Comment:
    comment = Comment.objects.create(
        post=post, author=author, body=body, body_html=render_markdown(body), is_official=official
    )
    Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    if official:
        _pin(comment)
    _attach(staged, post=post, comment=comment, uploader=author)
    _event("comment.created", post, author, comment_id=comment.pk, official=official)
    return comment


def _lock_comment(comment: Comment) -> Comment:
    """The comment's row, locked, as it is now (it may have been deleted meanwhile)."""
    locked = Comment.objects.select_for_update().filter(pk=comment.pk).first()
    if locked is None:
        raise ValidationError({"comment": "This comment no longer exists."})
    return locked


@transaction.atomic
def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    if not access.can_edit_comment(actor, comment):
        raise PermissionDenied("Only the author or a moderator may edit this comment.")
    body = _clean_body(body, limit=COMMENT_MAX, required=True)
    locked = _lock_comment(comment)
    if locked.deleted_at is not None:
        raise ValidationError({"comment": "This comment was deleted."})
    locked.body, locked.body_html = body, render_markdown(body)
    locked.edited_at = timezone.now()
    locked.save(update_fields=["body", "body_html", "edited_at"])
    comment.body, comment.body_html, comment.edited_at = (
        locked.body,
        locked.body_html,
        locked.edited_at,
    )
    _event("comment.updated", comment.post, actor, comment_id=comment.pk)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: User) -> None:
    """Soft-delete: the thread keeps its shape, the words are gone. Idempotent."""
    if not access.can_edit_comment(actor, comment):
        raise PermissionDenied("Only the author or a moderator may delete this comment.")
    locked = _lock_comment(comment)
    if locked.deleted_at is not None:
        return
    locked.deleted_at = timezone.now()
    locked.body, locked.body_html, locked.is_pinned = "", "", False
    locked.save(update_fields=["deleted_at", "body", "body_html", "is_pinned"])
    comment.deleted_at, comment.body, comment.body_html = locked.deleted_at, "", ""
    comment.is_pinned = False
    Post.objects.filter(pk=comment.post_id).update(comment_count=F("comment_count") - 1)
    _detach(Attachment.objects.filter(comment=locked))
    _event("comment.deleted", comment.post, actor, comment_id=comment.pk)


def _pin(comment: Comment) -> None:
    Comment.objects.filter(post_id=comment.post_id, is_pinned=True).exclude(pk=comment.pk).update(
        is_pinned=False
    )
    comment.is_pinned = True
    comment.save(update_fields=["is_pinned"])


@transaction.atomic
def comment_set_pinned(*, comment: Comment, actor: User, pinned: bool) -> Comment:
    access.require_moderator(actor)
    if comment.deleted_at is not None:
        raise ValidationError({"comment": "A deleted comment cannot be pinned."})
    if pinned:
        _pin(comment)
    else:
        comment.is_pinned = False
        comment.save(update_fields=["is_pinned"])
    _event(
        "comment.pinned" if pinned else "comment.unpinned",
        comment.post,
        actor,
        comment_id=comment.pk,
    )
    return comment


# --- Merging duplicates -----------------------------------------------------------


def _lock_posts(*post_ids: int) -> dict[int, Post]:
    """Lock these posts' rows (in id order, so two merges cannot deadlock) and read them."""
    locked = Post.objects.select_for_update().filter(pk__in=post_ids).order_by("pk")
    return {post.pk: post for post in locked}


@transaction.atomic
def post_merge(*, source: Post, target: Post, actor: User) -> Post:
    """Fold ``source`` into ``target``: its voters now support the target.

    Votes on the source stay where they are (so the merge can be undone);
    each voter who had not already voted on the target gets a vote there
    marked with ``origin_post=source``. Nobody is counted twice. Both rows
    are locked before any rule is checked, so a racing merge or unmerge of
    either post sees this one's outcome, never half of it.
    """
    access.require_moderator(actor)
    if source.pk == target.pk:
        raise ValidationError({"target": "A post cannot be merged into itself."})
    rows = _lock_posts(source.pk, target.pk)
    if source.pk not in rows or target.pk not in rows:
        raise ValidationError({"target": "That post no longer exists."})
    source, target = rows[source.pk], rows[target.pk]
    if target.board_id != source.board_id:
        raise ValidationError({"target": "Posts can only be merged within one board."})
    if target.merged_into_id is not None:
        raise ValidationError(
            {"target": "That post was itself merged; pick the post it went into."}
        )
    if source.merged_into_id is not None:
        raise ValidationError({"source": "This post is already merged."})
    if source.merged_posts.exists():
        raise ValidationError(
            {"source": "Other posts were merged into this one; undo those merges first."}
        )
    already = Vote.objects.filter(post=target).values_list("user_id", flat=True)
    moved = [
        Vote(post=target, user_id=user_id, created_at=created_at, origin_post=source)
        for user_id, created_at in Vote.objects.filter(post=source)
        .exclude(user_id__in=already)
        .values_list("user_id", "created_at")
    ]
    Vote.objects.bulk_create(moved)
    _recount(target.pk)
    source.merged_into, source.merged_at, source.merged_by = target, timezone.now(), actor
    _refresh_listed(source)
    source.save(update_fields=["merged_into", "merged_at", "merged_by", "is_listed"])
    target.refresh_from_db()
    _event("post.merged", source, actor, target_id=target.pk, moved_votes=len(moved))
    return target


@transaction.atomic
def post_unmerge(*, source: Post, actor: User) -> Post:
    """Undo :func:`post_merge`: the votes it added to the target go away."""
    access.require_moderator(actor)
    current = Post.objects.filter(pk=source.pk).values_list("merged_into_id", flat=True).first()
    if current is None:
        raise ValidationError({"source": "This post is not merged."})
    rows = _lock_posts(source.pk, current)
    if source.pk not in rows or current not in rows:
        raise ValidationError({"source": "This post no longer exists."})
    source = rows[source.pk]
    if source.merged_into_id != current:  # unmerged (or merged elsewhere) before we locked
        raise ValidationError({"source": "This post was changed meanwhile; reload and try again."})
    target = rows[current]
    Vote.objects.filter(post=target, origin_post=source).delete()
    _recount(target.pk)
    _recount(source.pk)
    source.merged_into, source.merged_at, source.merged_by = None, None, None
    _refresh_listed(source)
    source.save(update_fields=["merged_into", "merged_at", "merged_by", "is_listed"])
    _event("post.unmerged", source, actor, target_id=target.pk)
    return source


# --- Image attachments ------------------------------------------------------------
#
# Files are checked, re-encoded and stored *before* the transaction that
# writes their rows, so no database lock is held while an image is decoded or
# sent to object storage. A write that then fails removes the files it stored;
# a process killed in between leaves files with no row, which
# prune_attachments removes once they are ATTACHMENT_ORPHAN_HOURS old.


@dataclass(frozen=True)
class StagedImage:
    """An accepted upload, already in storage, waiting for its row."""

    file_name: str
    content_type: str
    original_name: str
    size: int
    width: int
    height: int


def _upload_name(upload: File[Any]) -> str:
    name = (upload.name or "image").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:120] or "image"


def _check_count(existing: int, adding: int) -> None:
    limit = settings.ATTACHMENT_MAX_PER_ITEM
    if existing + adding > limit:
        raise ValidationError(
            {"attachments": f"At most {limit} images can be attached here ({existing} already)."}
        )


def _decode_all(uploads: Sequence[File[Any]]) -> list[tuple[str, images.CleanImage]]:
    """Every upload checked and re-encoded, or a ValidationError naming the first bad one."""
    max_bytes = settings.ATTACHMENT_MAX_BYTES
    cleaned = []
    for upload in uploads:
        name = _upload_name(upload)
        too_big = ValidationError(
            {"attachments": f"{name}: larger than {max_bytes // 1024:,} KB, the limit."}
        )
        if upload.size is not None and upload.size > max_bytes:
            raise too_big
        upload.seek(0)
        data = upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_big
        try:
            clean = images.clean_image(data, max_pixels=settings.ATTACHMENT_MAX_PIXELS)
        except images.ImageRefused as exc:
            raise ValidationError({"attachments": f"{name}: {exc}"}) from exc
        cleaned.append((name, clean))
    return cleaned


def attachments_stage(uploads: Sequence[File[Any]], *, existing: int = 0) -> list[StagedImage]:
    """Check and store ``uploads`` (all of them or none); their rows are written later.

    Raises ValidationError (field ``attachments``) before storing anything
    when one upload is refused or there would be too many.
    """
    if not uploads:
        return []
    _check_count(existing, len(uploads))
    staged: list[StagedImage] = []
    try:
        for name, clean in _decode_all(uploads):
            stored = files.save(clean.data, clean.extension)
            staged.append(
                StagedImage(
                    file_name=stored,
                    content_type=clean.content_type,
                    original_name=name,
                    size=len(clean.data),
                    width=clean.width,
                    height=clean.height,
                )
            )
    except BaseException:
        files.remove(s.file_name for s in staged)
        raise
    return staged


def _discard_on_failure(staged: list[StagedImage]) -> None:
    files.remove(s.file_name for s in staged)


def _attach(
    staged: list[StagedImage], *, post: Post, comment: Comment | None, uploader: User
) -> list[Attachment]:
    """Write the rows for staged files and queue their thumbnails (in the caller's transaction)."""
    from monoboard.boards.tasks import make_thumbnail

    if not staged:
        return []
    now = timezone.now()
    rows = [
        Attachment.objects.create(
            key=secrets.token_urlsafe(16),
            post=post,
            comment=comment,
            uploader=uploader,
            file_name=s.file_name,
            content_type=s.content_type,
            original_name=s.original_name,
            size=s.size,
            width=s.width,
            height=s.height,
            created_at=now,
        )
        for s in staged
    ]
    enqueue_many_on_commit(make_thumbnail, [(row.pk,) for row in rows])
    return rows


def _detach(attachments: QuerySet[Attachment]) -> int:
    """Cut attachments loose (never served again) and queue their files' removal."""
    from monoboard.boards.tasks import purge_attachments

    ids = list(attachments.values_list("pk", flat=True))
    if ids:
        Attachment.objects.filter(pk__in=ids).update(
            post=None, comment=None, detached_at=timezone.now()
        )
        enqueue_on_commit(purge_attachments, ids)
    return len(ids)


def _post_attachment_count(post: Post) -> int:
    return Attachment.objects.filter(post=post, comment__isnull=True).count()


def attachments_add(*, post: Post, actor: User, uploads: Sequence[File[Any]]) -> list[Attachment]:
    """Attach more images to a post (its author or a moderator)."""
    if not access.can_edit_post(actor, post):
        raise PermissionDenied("Only the author or a moderator may add images to this post.")
    if not uploads:
        raise ValidationError({"attachments": "Choose at least one image."})
    staged = attachments_stage(uploads, existing=_post_attachment_count(post))
    try:
        return _attachments_add_rows(post=post, comment=None, actor=actor, staged=staged)
    except BaseException:
        _discard_on_failure(staged)
        raise


def comment_attachments_add(
    *, comment: Comment, actor: User, uploads: Sequence[File[Any]]
) -> list[Attachment]:
    """Attach more images to a comment (its author or a moderator)."""
    if not access.can_edit_comment(actor, comment):
        raise PermissionDenied("Only the author or a moderator may add images to this comment.")
    if comment.deleted_at is not None:
        raise ValidationError({"comment": "This comment was deleted."})
    if not uploads:
        raise ValidationError({"attachments": "Choose at least one image."})
    existing = Attachment.objects.filter(comment=comment).count()
    staged = attachments_stage(uploads, existing=existing)
    try:
        return _attachments_add_rows(post=comment.post, comment=comment, actor=actor, staged=staged)
    except BaseException:
        _discard_on_failure(staged)
        raise


@transaction.atomic
def _attachments_add_rows(
    *, post: Post, comment: Comment | None, actor: User, staged: list[StagedImage]
) -> list[Attachment]:
    locked = Post.objects.select_for_update().filter(pk=post.pk).first()
    if locked is None:
        raise ValidationError({"post": "This post no longer exists."})
    if comment is not None:
        current = _lock_comment(comment)
        if current.deleted_at is not None:
            raise ValidationError({"comment": "This comment was deleted."})
        existing = Attachment.objects.filter(comment=comment).count()
    else:
        existing = _post_attachment_count(post)
    _check_count(existing, len(staged))
    rows = _attach(staged, post=post, comment=comment, uploader=actor)
    _event(
        "attachment.added",
        post,
        actor,
        comment_id=comment.pk if comment else None,
        attachment_ids=[r.pk for r in rows],
    )
    return rows


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: User) -> None:
    """Remove one image: its uploader, the post's or comment's author, or a moderator."""
    access.require_member(actor)
    post = attachment.post
    if post is None:
        raise ValidationError({"attachment": "This image was already removed."})
    allowed = access.is_moderator(actor) or attachment.uploader_id == access.member_id(actor)
    if attachment.comment is not None:
        allowed = allowed or access.can_edit_comment(actor, attachment.comment)
    else:
        allowed = allowed or access.can_edit_post(actor, post)
    if not allowed:
        raise PermissionDenied("Only the author or a moderator may remove this image.")
    _detach(Attachment.objects.filter(pk=attachment.pk, post__isnull=False))
    _event(
        "attachment.deleted",
        post,
        actor,
        attachment_id=attachment.pk,
        comment_id=attachment.comment_id,
    )


def attachment_store_thumbnail(*, attachment_id: int) -> bool:
    """Make and record the thumbnail of one attachment (run by the make_thumbnail job).

    Idempotent: an attachment that has one already, or was removed, is left
    alone. A thumbnail made for an attachment removed meanwhile is deleted.
    The event makes cached pages show the thumbnail instead of the full image.
    """
    row = Attachment.objects.select_related("post").filter(pk=attachment_id).first()
    if row is None or row.thumb_name or row.post is None:
        return False
    data = images.thumbnail(
        files.read(row.file_name),
        box=settings.ATTACHMENT_THUMB_PX,
        max_pixels=settings.ATTACHMENT_MAX_PIXELS,
    )
    thumb = files.save(data, "webp")
    with transaction.atomic():
        stored = Attachment.objects.filter(
            pk=attachment_id, thumb_name="", post__isnull=False
        ).update(thumb_name=thumb)
        if stored:
            _event("attachment.thumbnail_made", row.post, None, attachment_id=attachment_id)
    if not stored:
        files.remove([thumb])
    return bool(stored)


def attachments_purge(*, attachment_ids: Iterable[int]) -> int:
    """Delete the files and rows of detached attachments (run by jobs). Idempotent."""
    rows = list(Attachment.objects.filter(pk__in=list(attachment_ids), post__isnull=True))
    for row in rows:
        files.remove([row.file_name, row.thumb_name])
        Attachment.objects.filter(pk=row.pk, post__isnull=True).delete()
    return len(rows)


def attachments_prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Remove attachments detached for ATTACHMENT_ORPHAN_HOURS, and stored files with no row.

    A file with no row is one whose upload was stored but whose write never
    committed (a refused or crashed request): it is removed once it is as old
    as the limit, so an upload still on its way to its row is never touched.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.ATTACHMENT_ORPHAN_HOURS)
    detached = Attachment.objects.filter(post__isnull=True).filter(
        Q(detached_at__lt=cutoff) | Q(detached_at__isnull=True, created_at__lt=cutoff)
    )
    rows = attachments_purge(attachment_ids=list(detached.values_list("pk", flat=True)))
    store = files.storage()
    stray = 0
    batch: list[str] = []

    def sweep(names: list[str]) -> int:
        used = {
            name
            for pair in Attachment.objects.filter(
                Q(file_name__in=names) | Q(thumb_name__in=names)
            ).values_list("file_name", "thumb_name")
            for name in pair
        }
        old = [n for n in names if n not in used and store.get_modified_time(n) < cutoff]
        return files.remove(old)

    for name in files.listed():
        batch.append(name)
        if len(batch) >= 500:
            stray += sweep(batch)
            batch = []
    if batch:
        stray += sweep(batch)
    return {"detached": rows, "stray_files": stray}
