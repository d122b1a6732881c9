"""The public roadmap, a post's status history, and the site's name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from monoboard.api.auth import actor
from monoboard.api.schemas import Input, PathId, PersonOut, StatusOut, person
from monoboard.boards import selectors, services
from monoboard.boards.models import SiteSettings

router = Router(tags=["site"])


class RoadmapItemOut(Schema):
    id: int
    title: str
    board: str
    vote_count: int
    url: str


class RoadmapColumnOut(Schema):
    status: StatusOut
    posts: list[RoadmapItemOut]


@router.get("/roadmap", response=list[RoadmapColumnOut], summary="The public roadmap")
def roadmap(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "status": StatusOut.of(status),
            "posts": [
                {
                    "id": post.pk,
                    "title": post.title,
                    "board": post.board.slug,
                    "vote_count": post.vote_count,
                    "url": f"/b/{post.board.slug}/p/{post.pk}/",
                }
                for post in posts
            ],
        }
        for status, posts in selectors.roadmap(actor(request))
    ]


class StatusChangeItemOut(Schema):
    id: int
    from_status: StatusOut | None
    to_status: StatusOut
    note: str
    changed_by: PersonOut | None
    created_at: datetime


@router.get(
    "/posts/{post_id}/history",
    response=list[StatusChangeItemOut],
    tags=["posts"],
    summary="A post's status changes, oldest first",
)
def history(request: HttpRequest, post_id: PathId) -> list[dict[str, Any]]:
    post = selectors.post_detail(post_id, actor(request))
    return [
        {
            "id": change.pk,
            "from_status": StatusOut.of(change.from_status) if change.from_status else None,
            "to_status": StatusOut.of(change.to_status),
            "note": change.note,
            "changed_by": person(change.changed_by),
            "created_at": change.created_at,
        }
        for change in selectors.post_status_history(post)
    ]


class SiteOut(Schema):
    site_name: str
    tagline: str


class SiteIn(Input):
    site_name: str = Field(max_length=80)
    tagline: str = Field("", max_length=200)


@router.get("/site", response=SiteOut, summary="The site's name and tagline")
def site(request: HttpRequest) -> dict[str, Any]:
    current = SiteSettings.load()
    return {"site_name": current.site_name, "tagline": current.tagline}


@router.put("/site", response=SiteOut, summary="Rename the site (admins)")
def update_site(request: HttpRequest, payload: SiteIn) -> dict[str, Any]:
    updated = services.site_settings_update(
        actor=actor(request), site_name=payload.site_name, tagline=payload.tagline
    )
    return {"site_name": updated.site_name, "tagline": updated.tagline}
