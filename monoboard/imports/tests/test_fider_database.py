"""``manage.py importfrom --from fider``: a Fider site read from its PostgreSQL database.

A throwaway PostgreSQL holds a Fider-shaped database (monoboard/testing/fider.py)
with two tenants; the import goes into this test run's database.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from monoboard.accounts.models import User
from monoboard.boards.models import Board, Comment, Post, Status, Vote
from monoboard.core.consumers import drain
from monoboard.imports.models import ImportedObject, ImportRun
from monoboard.notifications.models import OutboxEmail
from monoboard.testing import fider

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAPPING = [
    "--map-status=open=Open",
    "--map-status=planned=Planned",
    "--map-status=started=In progress",
    "--map-status=completed=Done",
    "--map-status=duplicate=Open",
    "--map-status=deleted=Declined",
]


@pytest.fixture
def fider_url(pg_empty_database: str) -> str:
    fider.create(pg_empty_database)
    return pg_empty_database


def importfrom(*args: str) -> str:
    out = StringIO()
    call_command("importfrom", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_dry_run_prints_the_mapping_and_counts_and_writes_nothing(
    fider_url: str, admin: User, tmp_path: object
) -> None:
    with pytest.raises(CommandError, match="Choose the tenant"):
        importfrom("--from", "fider", "--url", fider_url, "--dry-run")
    out = importfrom("--from", "fider", "--url", fider_url, "--tenant", "acme", "--dry-run")
    assert "posts               5" in out
    assert "votes               5" in out
    assert "comments            4" in out  # three comments and one response
    assert "started                     1  -> In progress" in out
    assert "completed                   1  -> Done" in out
    assert "duplicate                   1  -> Open" in out
    assert "Post numbers: kept" in out
    assert "Dry run: nothing was written" in out
    assert not Post.objects.exists()
    assert not ImportRun.objects.exists()
    assert User.objects.count() == 1


def test_a_real_run_needs_the_confirmed_mapping(fider_url: str, admin: User) -> None:
    with pytest.raises(CommandError, match="--dry-run first"):
        importfrom("--from", "fider", "--url", fider_url, "--tenant", "acme")
    with pytest.raises(CommandError, match="not mapped") as err:
        importfrom("--from", "fider", "--url", fider_url, "--tenant", "acme", *MAPPING[:2])
    assert "Source status 'started' is not mapped" in str(err.value)
    with pytest.raises(CommandError, match="No local status 'Shipped'"):
        importfrom(
            "--from",
            "fider",
            "--url",
            fider_url,
            "--tenant",
            "acme",
            *MAPPING,
            "--map-status=completed=Shipped",
        )
    assert not Post.objects.exists()


def test_import_keeps_people_votes_comments_dates_numbers_and_tags(
    fider_url: str, admin: User, member: User
) -> None:
    # A person already here (matched by email, whatever its case in Fider).
    ben = User.objects.create_user(email="ben@acme.test", password="x" * 20, name="Ben Here")
    importfrom("--from", "fider", "--url", fider_url, "--tenant", "acme", *MAPPING)

    board = Board.objects.get()
    assert board.name == "Acme Feedback"
    posts = {p.pk: p for p in Post.objects.all()}
    assert sorted(posts) == [7, 8, 9, 10, 11]  # Fider's numbers, not its ids; tenant 2 left out
    dark = posts[7]
    assert dark.title == "Dark mode"
    assert dark.status.name == "Planned"
    assert dark.created_at.isoformat() == "2022-04-01T10:00:00+00:00"
    assert dark.author == ben
    assert "<strong>dark</strong>" in dark.body_html
    assert sorted(t.name for t in dark.tags.all()) == ["API", "Mobile"]
    assert dark.vote_count == 3 and dark.comment_count == 2  # one comment was deleted
    voters = dict(Vote.objects.filter(post=dark).values_list("user__email", "created_at"))
    assert sorted(voters) == ["3@fider-db.import.invalid", "ada@acme.test", "ben@acme.test"]
    assert voters["ben@acme.test"].isoformat() == "2022-04-01T12:00:00+00:00"

    comments = list(Comment.objects.filter(post=dark).order_by("created_at"))
    assert [c.body for c in comments] == [
        "Yes please, my eyes hurt.",
        "",
        "On the roadmap for spring.",
    ]
    assert (
        comments[0].author is not None
        and comments[0].author.name == "Cy NoMail"
        and comments[0].edited_at is not None
    )
    assert comments[1].deleted_at is not None
    response = comments[2]
    assert response.is_official and response.is_pinned
    assert response.author is not None and response.author.email == "ada@acme.test"
    assert response.created_at.isoformat() == "2022-04-03T10:00:00+00:00"

    assert posts[8].merged_into_id == 7 and not posts[8].is_listed  # Fider's duplicate
    assert posts[10].hidden_at is not None and not posts[10].is_listed  # deleted in Fider
    assert posts[11].status == Status.objects.get(name="Done")
    assert posts[9].status.name == "In progress"
    # Posts made here afterwards take ids after the imported numbers.
    from monoboard.boards import services

    later = services.post_create(board=board, author=admin, title="After the import")
    assert later.pk > 11

    # People: matched by email or created without a usable password, and sent nothing.
    ben.refresh_from_db()
    assert ben.check_password("x" * 20) and ben.name == "Ben Here"
    ada = User.objects.get(email="ada@acme.test")
    assert not ada.has_usable_password() and ada.role == "member"
    assert not User.objects.filter(email="stranger@other.test").exists()
    assert not OutboxEmail.objects.exists()

    # The search index follows once the worker's consumers have read the events.
    drain()
    from django.test import Client

    html = Client().get("/search/", {"q": "roadmap"}).content.decode()
    assert "Dark mode" in html


def test_running_it_again_adds_nothing(fider_url: str, admin: User) -> None:
    args = ("--from", "fider", "--url", fider_url, "--tenant", "acme", *MAPPING)
    importfrom(*args)
    before = (
        Post.objects.count(),
        Vote.objects.count(),
        Comment.objects.count(),
        User.objects.count(),
    )
    out = importfrom(*args)
    assert "imported already" in out
    after = (
        Post.objects.count(),
        Vote.objects.count(),
        Comment.objects.count(),
        User.objects.count(),
    )
    assert before == after == (5, 5, 4, 4)
    assert ImportedObject.objects.filter(kind="post").count() == 5


def test_numbers_taken_here_are_not_reused(
    fider_url: str, admin: User, public_board: Board
) -> None:
    # A post here already has the id 9, Fider's number for "Export to CSV".
    Post.objects.create(
        pk=9,
        board=public_board,
        author=admin,
        title="Local post",
        status=Status.objects.get(slug="open"),
    )
    out = importfrom("--from", "fider", "--url", fider_url, "--tenant", "acme", "--dry-run")
    assert "Post numbers: not kept" in out
    importfrom("--from", "fider", "--url", fider_url, "--tenant", "acme", *MAPPING)
    assert Post.objects.count() == 6
    assert Post.objects.get(pk=9).title == "Local post"
    assert Post.objects.get(title="Export to CSV").pk != 9


def test_a_database_that_is_not_fider_imports_nothing(pg_empty_database: str, admin: User) -> None:
    with pytest.raises(CommandError, match="not a Fider database"):
        importfrom("--from", "fider", "--url", pg_empty_database, "--dry-run")
    with pytest.raises(CommandError, match="Cannot reach"):
        importfrom("--from", "fider", "--url", "postgres://x:y@127.0.0.1:1/none", "--dry-run")
