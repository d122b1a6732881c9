"""Rough edges a new owner meets in the first hour, each pinned through HTTP."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Status
from monoboard.lib import colors


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/roadmap/", "/b/features/", "/search/?q=x", "/accounts/signin/"]
)
def test_head_answers_like_get(outsider_client: Client, public_board: Board, path: str) -> None:
    response = outsider_client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def _pill_contrast(html: str) -> list[float]:
    found = re.findall(r"--pill: (#[0-9a-f]{6}); --pill-ink: (#[0-9a-f]{6})", html)
    assert found
    return [
        colors.contrast(
            colors.parse_hex(ink),
            colors.mix(colors.parse_hex(color), colors.parse_hex("#ffffff"), 0.14),
        )
        for color, ink in found
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("color", ["#ffff00", "#00ffff", "#6b7280", "#000080"])
def test_status_pills_are_readable_whatever_colour_is_picked(
    admin: User, member: User, public_board: Board, color: str
) -> None:
    for status in Status.objects.all():
        post = services.post_create(board=public_board, author=member, title=f"On {status.name}")
        services.post_set_status(actor=admin, post=post, status=status)
    Status.objects.filter(slug="planned").update(color=color)
    html = Client().get("/b/features/").content.decode()
    assert min(_pill_contrast(html)) >= 4.5
