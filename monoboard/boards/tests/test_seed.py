"""``manage.py seed``: amounts, exact counters, unique votes, clear refusals."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.test import Client

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Comment, Post, Status, Tag, Vote
from monoboard.boards.ranking import hot_score

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_seed_adds_the_requested_rows() -> None:
    out = seed(
        "--users", "30", "--boards", "2", "--posts", "60", "--votes", "500",
        "--comments", "90", "--seed", "7",
    )  # fmt: skip
    assert "Added 30 users, 2 boards, 60 posts, 500 votes and 90 comments" in out
    assert User.objects.count() == 30
    assert Board.objects.count() == 2
    assert Post.objects.count() == 60
    assert Vote.objects.count() == 500
    assert Comment.objects.count() == 90


def test_stored_counters_match_the_rows() -> None:
    seed("--users", "25", "--posts", "40", "--votes", "400", "--comments", "80", "--seed", "1")
    posts = Post.objects.annotate(
        real_votes=Count("votes", distinct=True), real_comments=Count("comments", distinct=True)
    )
    assert not posts.exclude(vote_count=F("real_votes")).exists()
    assert not posts.exclude(comment_count=F("real_comments")).exists()
    for post in Post.objects.all():
        assert post.hot_score == hot_score(post.vote_count, post.created_at)


def test_votes_are_unique_and_skewed() -> None:
    seed("--users", "200", "--posts", "50", "--votes", "600", "--seed", "2")
    pairs = Vote.objects.values("user_id", "post_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not pairs.exists()
    counts = sorted(Post.objects.values_list("vote_count", flat=True), reverse=True)
    assert counts[0] > 3 * (600 / 50)  # a popular post stands out
    assert counts[25] < 600 / 50  # while most posts get less than the mean


def test_every_post_has_a_valid_status_and_plausible_content() -> None:
    seed("--users", "10", "--posts", "80", "--votes", "0", "--comments", "0", "--seed", "3")
    statuses = set(Status.objects.values_list("pk", flat=True))
    assert set(Post.objects.values_list("status_id", flat=True)) <= statuses
    assert Post.objects.values("status_id").distinct().count() > 1
    post = Post.objects.first()
    assert post is not None
    assert len(post.title) >= 4
    assert post.body_html.startswith("<p>")
    assert post.author_id is not None


def test_demo_users_share_the_documented_password() -> None:
    seed("--users", "3", "--posts", "0", "--votes", "0", "--comments", "0")
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert check_password("demo password", hashes.pop())


def test_seeding_twice_adds_more(admin: User, public_board: Board) -> None:
    args = ("--users", "5", "--boards", "1", "--posts", "10", "--votes", "20", "--comments", "5")
    seed(*args, "--seed", "9", "--force")
    seed(*args, "--seed", "9", "--force")
    assert User.objects.count() == 11
    assert Board.objects.count() == 3
    assert Post.objects.count() == 20
    assert Vote.objects.count() == 40
    assert Board.objects.filter(slug="feature-requests-2").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--users", "-1"), "--users must be zero or more"),
        (("--posts", "-5"), "--posts must be zero or more"),
        (("--users", "2", "--posts", "3", "--votes", "7"), "more than the 2 users x 3 new posts"),
        (("--users", "0", "--posts", "3", "--votes", "0"), "--posts needs authors"),
        (("--boards", "0", "--posts", "3", "--votes", "0"), "--posts needs a board"),
        (("--posts", "0", "--votes", "0", "--comments", "4"), "--comments go on the new posts"),
    ],
)
def test_bad_arguments_are_refused_before_writing(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert not Post.objects.exists()
    assert not User.objects.exists()


def test_fider_shape_with_overrides() -> None:
    out = seed("--fider", "--users", "4", "--posts", "6", "--votes", "12", "--comments", "3")
    assert "Added 4 users, 1 board, 6 posts, 12 votes and 3 comments" in out


def test_seeded_posts_are_searchable(outsider_client: Client) -> None:
    seed("--users", "10", "--posts", "20", "--votes", "40", "--comments", "5", "--seed", "3")
    post = Post.objects.filter(board__is_private=False).order_by("pk").first()
    assert post is not None
    word = max(post.title.split(), key=len)
    page = outsider_client.get("/search/", {"q": word})
    assert page.status_code == 200
    assert f"/p/{post.pk}" in page.content.decode()


def test_seed_refuses_a_site_with_real_content_unless_forced(
    member: User, public_board: Board
) -> None:
    services.post_create(board=public_board, author=member, title="A real idea")
    with pytest.raises(CommandError, match="1 board and 1 post that people made"):
        seed("--users", "3", "--posts", "2", "--votes", "2", "--comments", "1")
    assert Post.objects.count() == 1
    seed("--users", "3", "--posts", "2", "--votes", "2", "--comments", "1", "--force")
    assert Post.objects.count() == 3


def test_remove_deletes_exactly_what_seed_made(
    member: User, admin: User, public_board: Board
) -> None:
    real = services.post_create(board=public_board, author=member, title="A real idea")
    services.comment_create(post=real, author=member, body="Real comment")
    seed(
        "--users",
        "6",
        "--boards",
        "1",
        "--posts",
        "8",
        "--votes",
        "10",
        "--comments",
        "4",
        "--force",
    )
    demo_board = Board.objects.get(is_demo=True)
    mixed = services.post_create(board=demo_board, author=member, title="Posted on a demo board")
    assert Post.objects.filter(is_demo=True).count() == 8
    out = StringIO()
    call_command("seed", "--remove", stdout=out)
    assert "Removed 8 posts" in out.getvalue() and "6 users" in out.getvalue()
    assert "Kept 1 demo board" in out.getvalue()
    assert set(Post.objects.values_list("pk", flat=True)) == {real.pk, mixed.pk}
    assert set(User.objects.values_list("pk", flat=True)) == {admin.pk, member.pk}
    assert Comment.objects.filter(post=real).count() == 1
    assert Board.objects.filter(pk=public_board.pk).exists()
    assert not Tag.objects.filter(is_demo=True).exists()
