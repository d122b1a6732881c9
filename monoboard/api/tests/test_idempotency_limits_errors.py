"""Idempotency-Key, rate limits with Retry-After, and the problem+json shape."""

from __future__ import annotations

from typing import Any

from django.test import Client

from monoboard.api.tests.conftest import ApiClient
from monoboard.boards.models import Board, Comment, Post, Vote


def test_same_key_twice_creates_one_post(member_api: ApiClient, public_board: Board) -> None:
    body = {"title": "Export to CSV", "body": "Monthly"}
    headers = {"Idempotency-Key": "k-123"}
    first = member_api.post("/boards/features/posts", body, headers=headers)
    second = member_api.post("/boards/features/posts", body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Post.objects.filter(title="Export to CSV").count() == 1


def test_same_key_with_another_body_is_422(member_api: ApiClient, public_board: Board) -> None:
    headers = {"Idempotency-Key": "k-456"}
    member_api.post("/boards/features/posts", {"title": "Export to CSV"}, headers=headers)
    other = member_api.post("/boards/features/posts", {"title": "Export to PDF"}, headers=headers)
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "Idempotency-Key" in other.json()["errors"]
    assert not Post.objects.filter(title="Export to PDF").exists()


def test_keys_are_per_caller(
    member_api: ApiClient, other_api: ApiClient, public_board: Board
) -> None:
    headers = {"Idempotency-Key": "shared"}
    member_api.post("/boards/features/posts", {"title": "Same words"}, headers=headers)
    other_api.post("/boards/features/posts", {"title": "Same words"}, headers=headers)
    assert Post.objects.filter(title="Same words").count() == 2


def test_vote_toggle_and_comment_are_idempotent(member_api: ApiClient, public_post: Post) -> None:
    for _ in range(2):
        toggled = member_api.post(f"/posts/{public_post.pk}/vote", headers={"Idempotency-Key": "v"})
        assert toggled.json()["voted"] is True
        member_api.post(
            f"/posts/{public_post.pk}/comments", {"body": "+1"}, headers={"Idempotency-Key": "c"}
        )
    assert Vote.objects.filter(post=public_post).count() == 2  # the author's and the member's
    assert Comment.objects.filter(post=public_post).count() == 1


def test_rate_limit_answers_429_with_retry_after(
    settings: Any, member_api: ApiClient, public_board: Board
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    codes = [member_api.get("/boards").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = member_api.get("/boards")
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["status"] == 429


def test_anonymous_callers_have_their_own_limit(
    settings: Any, anon_api: ApiClient, public_board: Board
) -> None:
    settings.API_ANON_RATE_LIMIT_PER_MINUTE = 2
    codes = [anon_api.get("/boards").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_field_errors_from_services_are_problem_json(
    member_api: ApiClient, public_board: Board
) -> None:
    response = member_api.post("/boards/features/posts", {"title": "no"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) == {"type", "title", "status", "detail", "errors"}
    assert problem["status"] == 422
    assert "at least 4 characters" in problem["errors"]["title"][0]


def test_schema_errors_name_the_field(member_api: ApiClient, public_board: Board) -> None:
    response = member_api.post("/boards/features/posts", {"body": "no title"})
    assert response.status_code == 422
    assert "title" in response.json()["errors"]


def test_bad_cursor_is_400(member_api: ApiClient, public_board: Board) -> None:
    response = member_api.get("/boards/features/posts?cursor=garbage!!")
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_unknown_post_is_404_problem(member_api: ApiClient) -> None:
    response = member_api.get("/posts/999999")
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_merge_conflict_is_422_problem(moderator_api: ApiClient, public_post: Post) -> None:
    response = moderator_api.post(f"/posts/{public_post.pk}/merge", {"target_id": public_post.pk})
    assert response.status_code == 422
    assert "target" in response.json()["errors"]


def test_session_calls_need_csrf_for_writes(member: Any, public_board: Board) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    assert browser.get("/api/v1/me").json()["id"] == member.pk
    refused = browser.post(
        "/api/v1/boards/features/posts", {"title": "From the page"}, content_type="application/json"
    )
    assert refused.status_code == 403
    browser.get("/accounts/profile/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/boards/features/posts",
        {"title": "From the page"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201


def test_unknown_api_path_is_404_problem(anon_api: ApiClient) -> None:
    response = anon_api.get("/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_wrong_method_is_405(member_api: ApiClient) -> None:
    response = member_api.call("PUT", "/boards")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_password_grant_is_throttled_after_repeated_failures(
    settings: Any, anon_api: ApiClient, member: Any
) -> None:
    settings.SIGNIN_MAX_FAILURES = 2
    wrong = {"grant_type": "password", "email": member.email, "password": "wrong"}
    assert [anon_api.post("/auth/token", wrong).status_code for _ in range(3)] == [401, 401, 429]
    assert anon_api.post("/auth/token", wrong)["Retry-After"]


def test_old_idempotency_records_are_pruned(member_api: ApiClient, public_board: Board) -> None:
    import datetime

    from django.utils import timezone

    from monoboard.api.models import IdempotencyRecord
    from monoboard.api.tasks import prune_idempotency_records

    member_api.post(
        "/boards/features/posts", {"title": "Kept a day"}, headers={"Idempotency-Key": "a"}
    )
    assert prune_idempotency_records.call() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert prune_idempotency_records.call() == 1


def test_guessing_keys_uses_up_the_anonymous_budget(
    settings: Any, anon_api: ApiClient, public_board: Board
) -> None:
    settings.API_ANON_RATE_LIMIT_PER_MINUTE = 2
    guesser = ApiClient("mb_guess")
    assert [guesser.get("/boards").status_code for _ in range(3)] == [401, 401, 429]
