"""Service rules at their edges: things already gone, and writers racing.

- a status that appears in any post's status history is never deleted, and
  the refusal is a clear answer (the API's 422, the settings page's error
  message), never a 500 from the database's protection of the history;
- a deleted comment stays deleted: editing it is a clear error, and an
  anonymous DELETE of it is 401;
- merge and unmerge of one pair, racing on PostgreSQL, always leave exact
  counts and no vote brought over by an undone merge;
- bursts of concurrent PUT and DELETE votes from one member end in the state
  asked for, with the stored count equal to the rows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from conftest import make_user
from monoboard.accounts import credentials
from monoboard.accounts.models import Role, User
from monoboard.boards import services
from monoboard.boards.models import Board, Comment, Post, Status, StatusChange, Vote

WAIT_S = 30  # every wait in this file gives up after this long

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL only"
)


def api(client: Client, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(f"/api/v1{path}", **kwargs)


def key_for(user: User) -> str:
    return credentials.api_key_create(actor=user, name="tests").secret


@pytest.fixture
def no_api_limits(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.API_ANON_RATE_LIMIT_PER_MINUTE = 1_000_000


def run_threads(targets: list[Callable[[], None]]) -> list[BaseException]:
    """Start every target at once; each closes its own connection. Bounded."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(target: Callable[[], None]) -> None:
        try:
            start.wait(timeout=WAIT_S)
            target()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_S)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return errors


# --- A status in a post's history -------------------------------------------------


def _status_only_in_history(board: Board, author: User, moderator: User) -> Status:
    """A status no post has now, but one post had: it is in that post's history."""
    post = services.post_create(board=board, author=author, title="Dark mode please")
    passing = Status.objects.create(name="Under review", slug="under-review")
    back = post.status
    services.post_set_status(post=post, actor=moderator, status=passing)
    services.post_set_status(post=post, actor=moderator, status=back)
    assert not passing.posts.exists()
    assert StatusChange.objects.filter(to_status=passing).exists()
    assert StatusChange.objects.filter(from_status=passing).exists()
    return passing


@pytest.mark.django_db
def test_the_api_refuses_to_delete_a_status_in_a_posts_history(
    admin: User, moderator: User, member: User, public_board: Board
) -> None:
    status = _status_only_in_history(public_board, member, moderator)
    response = api(Client(), "DELETE", f"/statuses/{status.pk}", key_for(admin))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert "status history of 1 posts" in problem["errors"]["status"][0]
    assert Status.objects.filter(pk=status.pk).exists()


@pytest.mark.django_db
def test_the_settings_page_refuses_to_delete_a_status_in_a_posts_history(
    admin_client: Client, moderator: User, member: User, public_board: Board
) -> None:
    status = _status_only_in_history(public_board, member, moderator)
    url = reverse("settings:status_delete", args=[status.pk])
    response = admin_client.post(url)
    # The page answers like its other refusals: back to the list, with the reason.
    assert response.status_code == 302
    assert response["Location"] == reverse("settings:statuses")
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert "is part of the status history of 1 posts" in page.content.decode()
    assert Status.objects.filter(pk=status.pk).exists()


@pytest.mark.django_db
def test_deleting_a_status_that_is_already_gone_is_a_clear_refusal(admin: User) -> None:
    status = Status.objects.create(name="Short-lived", slug="short-lived")
    stale = Status.objects.get(pk=status.pk)
    services.status_delete(actor=admin, status=status)
    with pytest.raises(ValidationError) as refused:
        services.status_delete(actor=admin, status=stale)
    assert "no longer exists" in str(refused.value)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_status_change_racing_the_status_deletion_never_breaks_the_history() -> None:
    """A status change into S is written but not committed while an admin
    deletes S. Whichever comes first wins; the other is a clean refusal, and
    no transaction fails on the history's foreign keys."""
    admin = make_user("ada@example.com", Role.ADMIN)
    moderator = make_user("mo@example.com", Role.MODERATOR)
    board = Board.objects.create(name="Race", slug="race")
    post = services.post_create(board=board, author=admin, title="Dark mode please")
    target = Status.objects.create(name="Soon", slug="soon")
    changed, go = threading.Event(), threading.Event()
    deleter_pid: list[int] = []
    outcomes: dict[str, str] = {}

    def change() -> None:
        try:
            with transaction.atomic():
                services.post_set_status(post=post, actor=moderator, status=target)
                changed.set()
                assert go.wait(timeout=WAIT_S)
            outcomes["change"] = "done"
        except ValidationError:
            outcomes["change"] = "refused"
        finally:
            changed.set()

    def delete() -> None:
        assert changed.wait(timeout=WAIT_S)
        connection.ensure_connection()
        deleter_pid.append(connection.connection.info.backend_pid)
        try:
            services.status_delete(actor=admin, status=Status.objects.get(pk=target.pk))
            outcomes["delete"] = "done"
        except ValidationError:
            outcomes["delete"] = "refused"

    def release() -> None:
        # The deleter either finishes or waits on the status's row lock; then
        # the status change commits.
        assert changed.wait(timeout=WAIT_S)
        with connection.cursor() as cursor:
            for _ in range(WAIT_S * 20):
                if "delete" in outcomes:
                    break
                if deleter_pid:
                    # Any session of this database waiting on a row lock: behind
                    # PgBouncer the deleter's server session is not the one its
                    # connection first met, so its pid cannot be relied on.
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                    row = cursor.fetchone()
                    if row and row[0]:
                        break
                threading.Event().wait(0.05)
        go.set()

    errors = run_threads([change, delete, release])
    assert not errors, errors
    assert outcomes == {"change": "done", "delete": "refused"}
    post.refresh_from_db()
    assert post.status_id == target.pk
    assert Status.objects.filter(pk=target.pk).exists()


# --- A deleted comment ------------------------------------------------------------


@pytest.fixture
def deleted_comment(member: User, moderator: User, public_board: Board) -> Comment:
    post = services.post_create(board=public_board, author=member, title="Dark mode please")
    comment = services.comment_create(post=post, author=member, body="First words")
    services.comment_delete(comment=Comment.objects.get(pk=comment.pk), actor=moderator)
    return comment  # as it was read before the delete: a stale copy with its body


@pytest.mark.django_db
def test_editing_a_deleted_comment_is_refused_by_the_service(
    deleted_comment: Comment, member: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.comment_update(comment=deleted_comment, actor=member, body="Back from the dead")
    assert "deleted" in str(refused.value)
    stored = Comment.objects.get(pk=deleted_comment.pk)
    assert (stored.body, stored.body_html, stored.edited_at) == ("", "", None)
    assert stored.deleted_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member", "moderator"])
def test_editing_a_deleted_comment_through_the_api_is_a_clear_error(
    deleted_comment: Comment, member: User, moderator: User, who: str
) -> None:
    user = member if who == "member" else moderator
    path = f"/posts/{deleted_comment.post_id}/comments/{deleted_comment.pk}"
    response = api(Client(), "PATCH", path, key_for(user), {"body": "Back from the dead"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "deleted" in response.json()["detail"]
    stored = Comment.objects.get(pk=deleted_comment.pk)
    assert stored.body == "" and stored.deleted_at is not None


@pytest.mark.django_db
def test_an_anonymous_delete_of_a_deleted_comment_is_401(
    deleted_comment: Comment, admin: User
) -> None:
    path = f"/posts/{deleted_comment.post_id}/comments/{deleted_comment.pk}"
    response = api(Client(), "DELETE", path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    post = Post.objects.get(pk=deleted_comment.post_id)
    assert post.comment_count == 0  # counted down once, by the real delete


@pytest.mark.django_db
def test_a_second_delete_by_the_author_changes_nothing(
    deleted_comment: Comment, member: User
) -> None:
    path = f"/posts/{deleted_comment.post_id}/comments/{deleted_comment.pk}"
    response = api(Client(), "DELETE", path, key_for(member))
    assert response.status_code == 204
    assert Post.objects.get(pk=deleted_comment.post_id).comment_count == 0


# --- Merge and unmerge racing -----------------------------------------------------


def _check_merge_state(source: Post, target: Post) -> None:
    source.refresh_from_db()
    target.refresh_from_db()
    for post in (source, target):
        assert post.vote_count == Vote.objects.filter(post=post).count(), post.title
    brought = set(
        Vote.objects.filter(post=target, origin_post=source).values_list("user_id", flat=True)
    )
    if source.merged_into_id is None:
        assert brought == set()
        assert source.is_listed
    else:
        assert source.merged_into_id == target.pk
        assert not source.is_listed
        on_source = set(Vote.objects.filter(post=source).values_list("user_id", flat=True))
        own = set(
            Vote.objects.filter(post=target, origin_post=None).values_list("user_id", flat=True)
        )
        assert brought == on_source - own


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_merge_and_unmerge_racing_leave_exact_counts() -> None:
    moderator = make_user("mo@example.com", Role.MODERATOR)
    board = Board.objects.create(name="Race", slug="race")
    author = make_user("author@example.com")
    source = services.post_create(board=board, author=author, title="Dark mode please")
    target = services.post_create(board=board, author=moderator, title="Night theme")
    voters = [make_user(f"voter{i}@example.com") for i in range(6)]
    for voter in voters[:4]:
        services.vote_set(post=source, user=voter, voted=True)
    for voter in voters[2:]:  # two voters support both posts
        services.vote_set(post=target, user=voter, voted=True)
    unexpected: list[BaseException] = []

    def attempt(action: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                action()
            except ValidationError:
                pass  # a clean refusal: the other side got there first
            except BaseException as exc:
                unexpected.append(exc)

        return run

    def merge() -> object:
        return services.post_merge(
            source=Post.objects.get(pk=source.pk),
            target=Post.objects.get(pk=target.pk),
            actor=moderator,
        )

    def unmerge() -> object:
        return services.post_unmerge(source=Post.objects.get(pk=source.pk), actor=moderator)

    for _ in range(12):
        errors = run_threads([attempt(merge), attempt(unmerge), attempt(merge), attempt(unmerge)])
        assert not errors, errors
        assert not unexpected, unexpected
        _check_merge_state(source, target)
    # Whatever state the races left, it can be undone cleanly.
    source.refresh_from_db()
    if source.merged_into_id is not None:
        services.post_unmerge(source=source, actor=moderator)
    _check_merge_state(source, target)
    assert Vote.objects.filter(post=target).count() == 5  # its author and voters 2..5


# --- Concurrent PUT / DELETE votes from one member --------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_api_limits")
def test_bursts_of_put_and_delete_votes_end_in_the_state_asked_for() -> None:
    make_user("ada@example.com", Role.ADMIN)
    author = make_user("author@example.com")
    member = make_user("mem@example.com")
    board = Board.objects.create(name="Race", slug="race")
    post = services.post_create(board=board, author=author, title="Dark mode please")
    key = key_for(member)
    path = f"/posts/{post.pk}/vote"
    answers: list[tuple[int, bool | None]] = []

    def request(method: str) -> Callable[[], None]:
        def run() -> None:
            response = api(Client(), method, path, key)
            body = response.json() if response.status_code == 200 else {}
            answers.append((response.status_code, body.get("voted")))

        return run

    def state() -> tuple[bool, int, int]:
        reply = api(Client(), "GET", f"/posts/{post.pk}", key).json()
        return reply["voted"], reply["vote_count"], Vote.objects.filter(post=post).count()

    for _burst in range(10):
        answers.clear()
        assert not run_threads([request("PUT") for _ in range(16)])
        assert answers == [(200, True)] * 16
        voted, count, rows = state()
        assert (voted, count, rows) == (True, 2, 2)
        answers.clear()
        assert not run_threads([request("DELETE") for _ in range(16)])
        assert answers == [(200, False)] * 16
        voted, count, rows = state()
        assert (voted, count, rows) == (False, 1, 1)
    post.refresh_from_db()
    assert post.vote_count == Vote.objects.filter(post=post).count() == 1
