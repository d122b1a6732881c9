"""``manage.py importfrom`` with Fider's CSV export, Canny's CSV export and the generic CSV."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from monoboard.accounts.models import User
from monoboard.boards.models import Board, Comment, Post, Tag, Vote
from monoboard.imports.models import ImportRun

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"


def importfrom(*args: str) -> str:
    out = StringIO()
    call_command("importfrom", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_fider_csv_through_a_saved_mapping_file(admin: User, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.json"
    file = str(FILES / "fider-posts.csv")
    out = importfrom(
        "--from", "fider-csv", "--file", file, "--dry-run", "--save-mapping", str(mapping)
    )
    assert "planned                     1  -> Planned" in out
    assert "completed                   1  -> Done" in out
    assert "Votes counted in the file but without voters: 19" in out
    assert json.loads(mapping.read_text())["statuses"]["duplicate"] == "Open"
    assert not Post.objects.exists()

    importfrom("--from", "fider-csv", "--file", file, "--mapping", str(mapping), "--board", "Ideas")
    board = Board.objects.get()
    assert board.name == "Ideas"
    posts = {p.pk: p for p in Post.objects.all()}
    assert sorted(posts) == [1, 2, 3]  # numbers kept
    assert posts[1].body == "Please add dark mode.\nIt hurts at night."
    assert posts[1].author is not None and posts[1].author.name == "Ada Lovelace"
    assert posts[3].author == posts[1].author  # one person per name
    assert posts[3].created_at.isoformat() == "2023-04-01T08:00:00+00:00"
    assert posts[2].merged_into_id == 1
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["mobile", "reporting", "ui"]
    official = Comment.objects.get(post=posts[1])
    assert official.body == "Coming this spring." and official.is_official
    assert official.author is not None and official.author.name == "Team Lead"
    # The file counts votes but names no voters: none are made up.
    assert Vote.objects.count() == 0
    people = User.objects.exclude(pk=admin.pk)
    assert all(u.email.endswith("@fider-csv.import.invalid") for u in people)
    assert not any(u.has_usable_password() for u in people)


def test_canny_csv_keeps_boards_voters_and_categories(admin: User, member: User) -> None:
    User.objects.create_user(email="bo@canny.test", password="y" * 20)
    file = str(FILES / "canny-posts.csv")
    out = importfrom("--from", "canny", "--file", file, "--dry-run")
    assert "under review                1  -> Open" in out
    assert "in progress                 1  -> In progress" in out
    assert "People already here (matched by email): 1" in out
    importfrom(
        "--from", "canny", "--file", file,
        "--map-status", "under review=open", "--map-status", "planned=Planned",
        "--map-status", "in progress=in-progress",
    )  # fmt: skip
    assert sorted(Board.objects.values_list("name", flat=True)) == ["Bugs", "Feature Requests"]
    slack = Post.objects.get(title="Slack integration")
    assert slack.vote_count == 3 and slack.status.slug == "open"
    assert slack.created_at.isoformat() == "2023-06-01T08:30:00+00:00"
    assert [t.name for t in slack.tags.all()] == ["Integrations"]
    sso = Post.objects.get(title="SSO with Okta")
    assert sorted(t.name for t in sso.tags.all()) == ["Enterprise", "Security"]
    assert sso.author is not None and sso.author.email == "bo@canny.test"
    assert User.objects.filter(email__endswith="canny.test").count() == 3


def test_generic_csv(admin: User) -> None:
    importfrom(
        "--from", "csv", "--file", str(FILES / "generic.csv"),
        "--map-status=planned=Planned", "--map-status=open=Open",
    )  # fmt: skip
    dark = Post.objects.get(title="Dark mode")
    assert dark.board.name == "Ideas"
    assert dark.vote_count == 2 and dark.comment_count == 1
    votes = dict(Vote.objects.filter(post=dark).values_list("user__email", "created_at"))
    assert votes["cy@example.com"].isoformat() == "2024-01-05T10:00:00+00:00"
    comment = Comment.objects.get()
    assert comment.author is not None and comment.author.name == "Cy"
    assert (
        Post.objects.get(title="CSV export").created_at.isoformat() == "2024-01-03T10:00:00+00:00"
    )


def test_a_bad_file_lists_every_problem_and_imports_nothing(admin: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as err:
        importfrom("--from", "csv", "--file", str(FILES / "generic-bad.csv"), "--dry-run")
    message = str(err.value)
    assert "Nothing was imported" in message
    assert "Line 3: title is empty." in message
    assert "Line 3: author_email: 'bob@example' is not an email address." in message
    assert "Line 3: created_at: 'yesterday' is not a date" in message
    assert "Line 4: post_id 'p9' is not a post on an earlier line." in message
    assert "Line 5: type must be post, vote or comment, not 'like'." in message

    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CommandError, match=r"not UTF-8|binary"):
        importfrom("--from", "canny", "--file", str(binary), "--dry-run")
    with pytest.raises(CommandError, match="not a Fider CSV export: the header lacks number"):
        importfrom("--from", "fider-csv", "--file", str(FILES / "canny-posts.csv"), "--dry-run")
    with pytest.raises(CommandError, match="Cannot read"):
        importfrom("--from", "csv", "--file", str(tmp_path / "missing.csv"), "--dry-run")
    with pytest.raises(CommandError, match="SOURCE=LOCAL"):
        importfrom("--from", "csv", "--file", str(FILES / "generic.csv"), "--map-status", "open")
    assert not Post.objects.exists() and not ImportRun.objects.exists()
    assert User.objects.count() == 1
