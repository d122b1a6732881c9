"""Request and response shapes; the OpenAPI schema is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Path, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from monoboard.api.errors import NUL_ERROR
from monoboard.boards import access, selectors
from monoboard.boards.models import Attachment, Board, Comment, Post, Status, Tag, Vote
from monoboard.lib.text import NUL_MESSAGE, contains_nul

#: Database ids fit in a signed 64-bit integer; larger numbers are refused as
#: invalid input instead of overflowing the database driver.
ID_MAX = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=ID_MAX)]


class Input(Schema):
    """Base of every request body and query schema: no field may hold a NUL."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if contains_nul(value):
            raise PydanticCustomError(NUL_ERROR, NUL_MESSAGE)
        return value


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]]


class StatusOut(Schema):
    id: int
    name: str
    slug: str
    color: str
    on_roadmap: bool
    is_closed: bool
    is_default: bool

    @staticmethod
    def of(status: Status) -> dict[str, Any]:
        return {
            "id": status.pk,
            "name": status.name,
            "slug": status.slug,
            "color": status.color,
            "on_roadmap": status.on_roadmap,
            "is_closed": status.is_closed,
            "is_default": status.is_default,
        }


class StatusIn(Input):
    name: str = Field(max_length=40)
    color: str = Field("#6b7280", max_length=7, description="#rrggbb")
    on_roadmap: bool = False
    is_closed: bool = False
    is_default: bool = False


class TagIn(Input):
    name: str = Field(max_length=40)
    color: str = Field("#2563eb", max_length=7, description="#rrggbb")


class TagOut(Schema):
    id: int
    name: str
    slug: str
    color: str

    @staticmethod
    def of(tag: Tag) -> dict[str, Any]:
        return {"id": tag.pk, "name": tag.name, "slug": tag.slug, "color": tag.color}


class BoardOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    is_private: bool
    created_at: datetime

    @staticmethod
    def of(board: Board) -> dict[str, Any]:
        return {
            "id": board.pk,
            "name": board.name,
            "slug": board.slug,
            "description": board.description,
            "is_private": board.is_private,
            "created_at": board.created_at,
        }


class BoardIn(Input):
    name: str = Field(max_length=80)
    slug: str = Field("", max_length=80)
    description: str = Field("", max_length=5000)
    is_private: bool = False


class BoardPatch(Input):
    name: str | None = Field(None, max_length=80)
    description: str | None = Field(None, max_length=5000)
    is_private: bool | None = None


class PersonOut(Schema):
    id: int
    name: str


def person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name}


def _merge_target_id(post: Post) -> int | None:
    target = getattr(post, "merge_target", None)
    return int(target.pk) if target is not None else None


class AttachmentOut(Schema):
    id: str = Field(description="the image's public key")
    url: str = Field(description="the full image, checked against the post's visibility")
    thumbnail_url: str = Field(description="a small WebP; the full image until it is made")
    thumbnail_ready: bool
    content_type: str
    width: int
    height: int
    size: int
    comment_id: int | None
    created_at: datetime

    @staticmethod
    def of(row: Attachment) -> dict[str, Any]:
        return {
            "id": row.key,
            "url": f"/attachments/{row.key}/",
            "thumbnail_url": f"/attachments/{row.key}/thumb/",
            "thumbnail_ready": bool(row.thumb_name),
            "content_type": row.content_type,
            "width": row.width,
            "height": row.height,
            "size": row.size,
            "comment_id": row.comment_id,
            "created_at": row.created_at,
        }


class PostOut(Schema):
    id: int
    board: str
    title: str
    body: str
    body_html: str
    author: PersonOut | None
    status: StatusOut
    tags: list[TagOut]
    vote_count: int
    comment_count: int
    voted: bool
    hidden: bool
    merged_into: int | None
    created_at: datetime
    updated_at: datetime
    url: str
    attachments: list[AttachmentOut]

    @staticmethod
    def of(
        post: Post,
        board: Board | None = None,
        tags: list[Tag] | None = None,
        attachments: list[Attachment] | None = None,
    ) -> dict[str, Any]:
        board = board or post.board
        if attachments is None:
            attachments = selectors.attachments_for_posts([post.pk])[post.pk]
        return {
            "id": post.pk,
            "board": board.slug,
            "title": post.title,
            "body": post.body,
            "body_html": post.body_html,
            "author": person(post.author),
            "status": StatusOut.of(post.status),
            "tags": [TagOut.of(t) for t in (tags if tags is not None else post.tags.all())],
            "vote_count": post.vote_count,
            "comment_count": post.comment_count,
            "voted": bool(getattr(post, "viewer_voted", False)),
            "hidden": post.hidden_at is not None,
            # Set by selectors.post_detail only when the viewer may see the target.
            "merged_into": _merge_target_id(post),
            "created_at": post.created_at,
            "updated_at": post.updated_at,
            "url": f"/b/{board.slug}/p/{post.pk}/",
            "attachments": [AttachmentOut.of(a) for a in attachments],
        }


class PostPageOut(Schema):
    items: list[PostOut]
    next_cursor: str | None


class PostIn(Input):
    title: str = Field(max_length=500)
    body: str = Field("", max_length=40000)
    tag_ids: list[Id] = Field(default_factory=list, max_length=50)


class PostPatch(Input):
    title: str | None = Field(None, max_length=500)
    body: str | None = Field(None, max_length=40000)
    tag_ids: list[Id] | None = Field(None, max_length=50)


class StatusChangeIn(Input):
    status_id: Id
    note: str = Field("", max_length=20000)


class StatusChangeOut(Schema):
    id: int | None
    from_status: int | None
    to_status: int
    note: str
    changed: bool


class HiddenIn(Input):
    hidden: bool


class MergeIn(Input):
    target_id: Id


class VoteOut(Schema):
    voted: bool
    vote_count: int


class VoterOut(Schema):
    user: PersonOut
    created_at: datetime

    @staticmethod
    def of(vote: Vote) -> dict[str, Any]:
        return {"user": person(vote.user), "created_at": vote.created_at}


class CommentOut(Schema):
    id: int
    post_id: int
    author: PersonOut | None
    body: str
    body_html: str
    is_official: bool
    is_pinned: bool
    deleted: bool
    created_at: datetime
    edited_at: datetime | None
    attachments: list[AttachmentOut]

    @staticmethod
    def of(comment: Comment, attachments: list[Attachment] | None = None) -> dict[str, Any]:
        if attachments is None:
            attachments = selectors.comment_attachments(comment)
        return {
            "id": comment.pk,
            "post_id": comment.post_id,
            "author": person(comment.author) if comment.deleted_at is None else None,
            "body": comment.body,
            "body_html": comment.body_html,
            "is_official": comment.is_official,
            "is_pinned": comment.is_pinned,
            "deleted": comment.deleted_at is not None,
            "created_at": comment.created_at,
            "edited_at": comment.edited_at,
            "attachments": [AttachmentOut.of(a) for a in attachments],
        }


class CommentIn(Input):
    body: str = Field(max_length=20000)
    official: bool = False


class CommentPatch(Input):
    body: str = Field(max_length=20000)


class PinIn(Input):
    pinned: bool


class SearchHitOut(Schema):
    post: PostOut
    snippet: str


class SearchPageOut(Schema):
    items: list[SearchHitOut]
    next_cursor: str | None
    ranked_among: int | None = Field(
        None,
        description="set when more posts matched than one search ranks: "
        "the items are the best of this many newest matches",
    )


class SimilarOut(Schema):
    id: int
    title: str
    url: str
    vote_count: int
    status: str
    voted: bool


class MeOut(Schema):
    authenticated: bool
    id: int | None
    email: str | None
    name: str | None
    role: Literal["admin", "moderator", "member"] | None

    @staticmethod
    def of(user: Any) -> dict[str, Any]:
        if not access.is_member(user):
            return {"authenticated": False, "id": None, "email": None, "name": None, "role": None}
        return {
            "authenticated": True,
            "id": user.pk,
            "email": user.email,
            "name": user.display_name,
            "role": user.role,
        }


class TokenIn(Input):
    grant_type: Literal["password", "refresh_token"]
    email: str | None = Field(None, max_length=254)
    password: str | None = Field(None, max_length=1000)
    refresh_token: str | None = Field(None, max_length=200)


class TokenOut(Schema):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str


class RevokeIn(Input):
    refresh_token: str = Field(max_length=200)


#: A path parameter holding a database id.
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
