"""Boards: anyone lists and reads the boards they may see; admins manage them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from monoboard.api.auth import actor
from monoboard.api.schemas import BoardIn, BoardOut, BoardPatch
from monoboard.boards import access, selectors, services

router = Router(tags=["boards"])


@router.get("/boards", response=list[BoardOut], summary="List the boards you may see")
def list_boards(request: HttpRequest) -> list[dict[str, Any]]:
    return [BoardOut.of(b) for b in selectors.boards_overview(actor(request))]


@router.get("/boards/{slug}", response=BoardOut, summary="One board")
def get_board(request: HttpRequest, slug: str) -> dict[str, Any]:
    return BoardOut.of(access.board_or_404(actor(request), slug))


@router.post("/boards", response={201: BoardOut}, summary="Create a board (admins)")
def create_board(request: HttpRequest, payload: BoardIn) -> Status[dict[str, Any]]:
    board = services.board_create(
        actor=actor(request),
        name=payload.name,
        slug=payload.slug,
        description=payload.description,
        is_private=payload.is_private,
    )
    return Status(201, BoardOut.of(board))


@router.patch("/boards/{slug}", response=BoardOut, summary="Change a board (admins)")
def update_board(request: HttpRequest, slug: str, payload: BoardPatch) -> dict[str, Any]:
    user = actor(request)
    board = access.board_or_404(user, slug)
    board = services.board_update(
        actor=user,
        board=board,
        name=board.name if payload.name is None else payload.name,
        description=board.description if payload.description is None else payload.description,
        is_private=board.is_private if payload.is_private is None else payload.is_private,
    )
    return BoardOut.of(board)


@router.delete("/boards/{slug}", response={204: None}, summary="Delete a board and its posts")
def delete_board(request: HttpRequest, slug: str) -> Status[None]:
    user = actor(request)
    services.board_delete(actor=user, board=access.board_or_404(user, slug))
    return Status(204, None)
