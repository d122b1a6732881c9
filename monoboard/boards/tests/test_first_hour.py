"""Rough edges a new owner meets in the first hour, each pinned through HTTP."""

from __future__ import annotations

import pytest
from django.test import Client

from monoboard.boards.models import Board


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/roadmap/", "/b/features/", "/search/?q=x", "/accounts/signin/"]
)
def test_head_answers_like_get(outsider_client: Client, public_board: Board, path: str) -> None:
    response = outsider_client.head(path)
    assert response.status_code == 200
    assert response.content == b""
