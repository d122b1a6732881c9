"""Votes: toggle like the UI's button, or say "I vote" (PUT) / "I do not" (DELETE)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from monoboard.api import idempotency
from monoboard.api.auth import actor
from monoboard.api.schemas import PathId, VoteOut, VoterOut
from monoboard.boards import access, selectors, services

router = Router(tags=["votes"])


def _set(request: HttpRequest, post_id: int, want: bool) -> dict[str, Any]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    access.require_member(user)
    result = services.vote_set(post=post, user=user, voted=want)
    return {"voted": result.voted, "vote_count": result.vote_count}


@router.post("/posts/{post_id}/vote", response=VoteOut, summary="Toggle your vote")
def toggle_vote(request: HttpRequest, post_id: PathId) -> Status[dict[str, Any]]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    access.require_member(user)

    def work() -> tuple[int, dict[str, Any]]:
        result = services.vote_toggle(post=post, user=user)
        return 200, {"voted": result.voted, "vote_count": result.vote_count}

    return Status(*idempotency.run(request, user.pk, work))


@router.put("/posts/{post_id}/vote", response=VoteOut, summary="I vote for this (idempotent)")
def vote(request: HttpRequest, post_id: PathId) -> dict[str, Any]:
    return _set(request, post_id, True)


@router.delete("/posts/{post_id}/vote", response=VoteOut, summary="I do not vote (idempotent)")
def unvote(request: HttpRequest, post_id: PathId) -> dict[str, Any]:
    return _set(request, post_id, False)


@router.get("/posts/{post_id}/voters", response=list[VoterOut], summary="Who voted (moderators)")
def voters(request: HttpRequest, post_id: PathId) -> list[dict[str, Any]]:
    user = actor(request)
    post = selectors.post_detail(post_id, user)
    access.require_moderator(user)
    return [VoterOut.of(v) for v in selectors.post_voters(post)]
