"""Which companies asked for a post, and posts by their voters' revenue (admins).

A thin layer over monoboard/sso/selectors.py; the figures come from single
sign-on tokens (docs/accounts.md, "Single sign-on").
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from monoboard.api.auth import actor
from monoboard.api.schemas import Input, PathId
from monoboard.boards import access, selectors
from monoboard.sso import selectors as sso

router = Router(tags=["companies"])


class CompanyOut(Schema):
    id: str
    name: str
    plan: str
    monthly_revenue: int
    voters: int


class PostCompaniesOut(Schema):
    post_id: int
    revenue: int
    companies: list[CompanyOut]


class RevenuePostOut(Schema):
    id: int
    title: str
    board: str
    status: str
    vote_count: int
    revenue: int


class RevenueQuery(Input):
    board: str = ""
    min_revenue: Annotated[int | None, Field(ge=0, le=2**62)] = None
    company: Annotated[str, Field(max_length=120)] = ""
    limit: Annotated[int, Field(ge=1, le=500)] = 100


@router.get(
    "/posts/{post_id}/companies",
    response=PostCompaniesOut,
    summary="Companies whose people voted, with their revenue (admins)",
)
def post_companies(request: HttpRequest, post_id: PathId) -> dict[str, Any]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    access.require_admin(user)
    companies = sso.companies_for_post(user, post)
    return {
        "post_id": post.pk,
        "revenue": sso.post_revenue(post.pk),
        "companies": [c.__dict__ for c in companies],
    }


@router.get(
    "/revenue/posts",
    response=list[RevenuePostOut],
    summary="Posts sorted by their voters' monthly revenue, highest first (admins)",
)
def posts_by_revenue(request: HttpRequest, query: Query[RevenueQuery]) -> list[dict[str, Any]]:
    user = actor(request)
    access.require_admin(user)
    posts = sso.posts_by_revenue(
        user,
        board_slug=query.board,
        min_revenue=query.min_revenue,
        company=query.company,
        limit=query.limit,
    )
    return [
        {
            "id": p.pk,
            "title": p.title,
            "board": p.board.slug,
            "status": p.status.name,
            "vote_count": p.vote_count,
            "revenue": int(p.revenue),  # type: ignore[attr-defined]
        }
        for p in posts
    ]
