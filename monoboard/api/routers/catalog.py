"""Statuses, tags, search, similar posts and the current user."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Status

from monoboard.api.auth import actor
from monoboard.api.schemas import (
    Input,
    MeOut,
    PathId,
    PostOut,
    SearchPageOut,
    SimilarOut,
    StatusIn,
    StatusOut,
    TagIn,
    TagOut,
)
from monoboard.boards import access, selectors, services
from monoboard.boards.models import Status as StatusModel
from monoboard.boards.models import Tag
from monoboard.search import selectors as search

router = Router(tags=["catalog"])


@router.get("/statuses", response=list[StatusOut], summary="Statuses, in display order")
def list_statuses(request: HttpRequest) -> list[dict[str, Any]]:
    return [StatusOut.of(s) for s in selectors.all_statuses()]


@router.get("/tags", response=list[TagOut], summary="Tags")
def list_tags(request: HttpRequest) -> list[dict[str, Any]]:
    return [TagOut.of(t) for t in selectors.all_tags()]


@router.post("/statuses", response={201: StatusOut}, summary="Create a status (admins)")
def create_status(request: HttpRequest, payload: StatusIn) -> Status[dict[str, Any]]:
    status = services.status_save(actor=actor(request), fields=_status_fields(payload))
    return Status(201, StatusOut.of(status))


@router.put("/statuses/{status_id}", response=StatusOut, summary="Change a status (admins)")
def update_status(request: HttpRequest, status_id: PathId, payload: StatusIn) -> dict[str, Any]:
    user = actor(request)
    access.require_admin(user)
    status = get_object_or_404(StatusModel, pk=status_id)
    return StatusOut.of(
        services.status_save(actor=user, fields=_status_fields(payload), status=status)
    )


@router.delete("/statuses/{status_id}", response={204: None}, summary="Delete a status (admins)")
def delete_status(request: HttpRequest, status_id: PathId) -> Status[None]:
    user = actor(request)
    access.require_admin(user)
    services.status_delete(actor=user, status=get_object_or_404(StatusModel, pk=status_id))
    return Status(204, None)


@router.post("/tags", response={201: TagOut}, summary="Create a tag (admins)")
def create_tag(request: HttpRequest, payload: TagIn) -> Status[dict[str, Any]]:
    tag = services.tag_save(actor=actor(request), name=payload.name, color=payload.color)
    return Status(201, TagOut.of(tag))


@router.put("/tags/{tag_id}", response=TagOut, summary="Change a tag (admins)")
def update_tag(request: HttpRequest, tag_id: PathId, payload: TagIn) -> dict[str, Any]:
    user = actor(request)
    access.require_admin(user)
    tag = get_object_or_404(Tag, pk=tag_id)
    return TagOut.of(services.tag_save(actor=user, name=payload.name, color=payload.color, tag=tag))


@router.delete("/tags/{tag_id}", response={204: None}, summary="Delete a tag (admins)")
def delete_tag(request: HttpRequest, tag_id: PathId) -> Status[None]:
    user = actor(request)
    access.require_admin(user)
    services.tag_delete(actor=user, tag=get_object_or_404(Tag, pk=tag_id))
    return Status(204, None)


def _status_fields(payload: StatusIn) -> services.StatusFields:
    return services.StatusFields(
        name=payload.name,
        color=payload.color,
        on_roadmap=payload.on_roadmap,
        is_closed=payload.is_closed,
        is_default=payload.is_default,
    )


class SearchQuery(Input):
    q: str = Field(max_length=200)
    board: str | None = Field(None, max_length=80, description="limit to a board slug")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(20, ge=1, le=50)


@router.get("/search", response=SearchPageOut, tags=["search"], summary="Full-text search")
def search_posts(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, Any]:
    user = actor(request)
    board = access.board_or_404(user, params.board) if params.board else None
    page = search.search_posts(
        params.q, viewer=user, board=board, cursor=params.cursor, limit=params.limit
    )
    prefetch_related_objects([r.post for r in page.results], "tags", "author")
    return {
        "items": [
            {"post": PostOut.of(r.post), "snippet": str(r.hit.snippet_html)} for r in page.results
        ],
        "next_cursor": page.next_cursor,
        "ranked_among": page.ranked_among,
    }


class SimilarQuery(Input):
    title: str = Field(max_length=200)


@router.get(
    "/boards/{slug}/similar",
    response=list[SimilarOut],
    tags=["search"],
    summary="Posts with a title like this one (before posting a duplicate)",
)
def similar(request: HttpRequest, slug: str, params: Query[SimilarQuery]) -> list[dict[str, Any]]:
    user = actor(request)
    board = access.board_or_404(user, slug)
    return [
        {k: row[k] for k in ("id", "title", "url", "vote_count", "status", "voted")}
        for row in search.similar_posts(params.title, viewer=user, board=board)
    ]


@router.get("/me", response=MeOut, tags=["account"], summary="Who you are signed in as")
def me(request: HttpRequest) -> dict[str, Any]:
    return MeOut.of(actor(request))
