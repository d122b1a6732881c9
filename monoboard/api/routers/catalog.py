"""Statuses, tags, search, similar posts and the current user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from monoboard.api.auth import actor
from monoboard.api.schemas import MeOut, PostOut, SearchPageOut, SimilarOut, StatusOut, TagOut
from monoboard.boards import access, selectors
from monoboard.search import selectors as search

router = Router(tags=["catalog"])


@router.get("/statuses", response=list[StatusOut], summary="Statuses, in display order")
def list_statuses(request: HttpRequest) -> list[dict[str, Any]]:
    return [StatusOut.of(s) for s in selectors.all_statuses()]


@router.get("/tags", response=list[TagOut], summary="Tags")
def list_tags(request: HttpRequest) -> list[dict[str, Any]]:
    return [TagOut.of(t) for t in selectors.all_tags()]


class SearchQuery(Schema):
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
    return {
        "items": [
            {"post": PostOut.of(r.post, tags=[]), "snippet": str(r.hit.snippet_html)}
            for r in page.results
        ],
        "next_cursor": page.next_cursor,
    }


class SimilarQuery(Schema):
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
