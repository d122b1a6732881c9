"""The API's sign-in, oversized bodies and NUL characters."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient
from monoboard.boards.models import Board, Post
from monoboard.lib.text import NUL_MESSAGE

TOKEN = "/api/v1/auth/token"


def token_status(email: str, password: str, ip: str) -> int:
    response = Client().post(
        TOKEN,
        data=json.dumps({"grant_type": "password", "email": email, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )
    return int(response.status_code)


def test_token_endpoint_counts_failures_in_the_sign_in_service(member: User) -> None:
    # Padding the address does not make it a different account to count for.
    for n in range(10):
        assert token_status(f"{' ' * n} MEM@example.com ", "wrong", ip=f"10.6.0.{n}") == 401
    signin = Client().post(
        reverse("accounts:signin"),
        {"email": member.email, "password": PASSWORD},
        REMOTE_ADDR="10.6.1.1",
    )
    assert signin.status_code == 429
    assert token_status(member.email, PASSWORD, ip="10.6.1.2") == 429


def test_token_endpoint_is_locked_by_page_sign_in_failures(member: User) -> None:
    for n in range(10):
        Client().post(
            reverse("accounts:signin"),
            {"email": member.email, "password": f"no {n}"},
            REMOTE_ADDR=f"10.6.2.{n}",
        )
    assert token_status(member.email, PASSWORD, ip="10.6.3.1") == 429


@pytest.mark.parametrize("megabytes", [3, 10])
def test_oversized_body_answers_413_problem(
    member_api: ApiClient, public_board: Board, megabytes: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"title": "Big", "body": "x" * (megabytes * 1024 * 1024)}
    with caplog.at_level(logging.ERROR):
        response = member_api.post("/boards/features/posts", body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/boards/features/posts", {"title": "Nul\x00title"}),
        ("POST", "/boards/features/posts", {"title": "Fine", "body": "a\x00b"}),
        ("PATCH", "/posts/{post}", {"title": "Nul\x00"}),
        ("POST", "/posts/{post}/comments", {"body": "\x00"}),
        ("POST", "/auth/token", {"grant_type": "password", "email": "a\x00@x.io", "password": "p"}),
    ],
)
def test_nul_characters_answer_400(
    member_api: ApiClient, public_post: Post, method: str, path: str, body: dict[str, str]
) -> None:
    response = member_api.call(method, path.format(post=public_post.pk), body)
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["detail"] == NUL_MESSAGE
    assert problem["errors"]


def test_nul_in_query_parameters_answers_400(member_api: ApiClient, public_post: Post) -> None:
    response = member_api.get("/search?q=dark%00mode")
    assert response.status_code == 400, response.content
