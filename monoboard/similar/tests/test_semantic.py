"""Semantic duplicates through the interfaces people use: the similar-ideas
endpoint and API, the admins' triage page, and ``manage.py embedposts``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient
from monoboard.boards import services
from monoboard.boards.models import Board, Post, Vote
from monoboard.search.tests.conftest import Committed, MakePost
from monoboard.similar import index
from monoboard.similar.models import DismissedPair, PostVector

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def similar(client: Client, title: str, board: str = "features") -> list[object]:
    response = client.get("/search/similar/", {"board": board, "title": title})
    assert response.status_code == 200
    return [row["id"] for row in response.json()]


def test_a_paraphrase_is_suggested_where_words_alone_find_nothing(
    make_post: MakePost, member_client: Client, settings: Any
) -> None:
    keys = make_post("Keyboard navigation")
    make_post("Dark mode")
    make_post("Export posts to CSV")
    typed = "Keyboard shortcuts to move between ideas"
    assert similar(member_client, typed)[:1] == [keys.pk]
    api = ApiClient().get("/boards/features/similar?title=" + typed.replace(" ", "%20"))
    assert [row["id"] for row in api.json()][:1] == [keys.pk]
    settings.SIMILAR_SEMANTIC = False
    assert similar(member_client, typed) == []


def test_lexical_matches_stay_and_are_ordered_by_the_blend(
    make_post: MakePost, member_client: Client
) -> None:
    dark = make_post("Dark mode for the mobile app")
    make_post("Email notifications for replies")
    assert similar(member_client, "dark mod") == [dark.pk]  # one half-typed word: lexical only
    assert similar(member_client, "please add the") == []  # stop words: neither method


def test_suggestions_work_before_any_vector_exists(
    make_post: MakePost, member_client: Client
) -> None:
    dark = make_post("Dark mode for the mobile app")
    keys = make_post("Keyboard navigation")
    PostVector.objects.all().delete()
    assert similar(member_client, "dark mode mobile") == [dark.pk]
    assert similar(member_client, "Keyboard shortcuts to move between ideas") == []
    call_command("embedposts", "--no-progress", stdout=StringIO())
    assert similar(member_client, "Keyboard shortcuts to move between ideas")[:1] == [keys.pk]


def test_an_edited_title_is_found_by_its_new_meaning(
    make_post: MakePost, committed: Committed, member: User, member_client: Client
) -> None:
    post = make_post("Jira integration")
    typed = "Sync ideas to GitHub issues"
    assert post.pk not in similar(member_client, typed)
    with committed():
        services.post_update(post=post, actor=member, title="GitHub issues integration", body="")
    assert similar(member_client, typed)[:1] == [post.pk]


def test_unseen_posts_change_nothing(
    make_post: MakePost,
    committed: Committed,
    moderator: User,
    private_board: Board,
    outsider_client: Client,
) -> None:
    """The answer with posts the visitor may not see equals the answer without them."""
    make_post("Weekly digest email")
    make_post("Dark mode")
    typed = "Weekly summary email of new ideas"
    before = similar(outsider_client, typed)
    assert before
    make_post("Weekly summary email", board=private_board)
    hidden = make_post("Weekly summary of new ideas by email")
    target = make_post("Digest of new ideas every week")
    merged = make_post("Weekly summary email of ideas")
    with committed():
        services.post_set_hidden(post=hidden, actor=moderator, hidden=True)
    with committed():
        services.post_merge(source=merged, target=target, actor=moderator)
    after = similar(outsider_client, typed)
    assert hidden.pk not in after and merged.pk not in after
    assert [pk for pk in after if pk != target.pk] == before


def test_triage_lists_pairs_and_merges_in_one_click(
    make_post: MakePost,
    admin_client: Client,
    member: User,
    other_member: User,
    committed: Committed,
    settings: Any,
) -> None:
    settings.SIMILAR_TRIAGE_THRESHOLD = 0.6
    first = make_post("Import our ideas from Trello")
    second = make_post("Trello import", author=other_member)
    make_post("Dark mode")
    page = admin_client.get("/similar/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-first="{first.pk}" data-second="{second.pk}"' in html
    assert "Dark mode" not in html
    # The suggested source has fewer votes; either way one click merges.
    response = admin_client.post("/similar/merge/", {"source": second.pk, "target": first.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    assert Vote.objects.filter(post=first, user=other_member).exists()
    assert 'data-testid="pair"' not in admin_client.get("/similar/").content.decode()


def test_a_dismissed_pair_leaves_the_list(
    make_post: MakePost, admin_client: Client, settings: Any
) -> None:
    settings.SIMILAR_TRIAGE_THRESHOLD = 0.6
    first = make_post("Import our ideas from Trello")
    second = make_post("Trello import")
    assert 'data-testid="pair"' in admin_client.get("/similar/").content.decode()
    response = admin_client.post("/similar/dismiss/", {"first": second.pk, "second": first.pk})
    assert response.status_code == 302
    assert DismissedPair.objects.filter(low_post=first, high_post=second).exists()
    html = admin_client.get("/similar/").content.decode()
    assert 'data-testid="pair"' not in html and 'data-testid="no-pairs"' in html
    assert Post.objects.get(pk=second.pk).merged_into_id is None


def test_triage_is_for_admins(
    make_post: MakePost, member_client: Client, moderator_client: Client, public_board: Board
) -> None:
    a = make_post("Import our ideas from Trello")
    b = make_post("Trello import")
    assert Client().get("/similar/").status_code == 302
    assert member_client.get("/similar/").status_code == 403
    assert moderator_client.get("/similar/").status_code == 403
    assert (
        member_client.post("/similar/merge/", {"source": a.pk, "target": b.pk}).status_code == 403
    )
    assert (
        member_client.post("/similar/dismiss/", {"first": a.pk, "second": b.pk}).status_code == 403
    )
    assert Post.objects.get(pk=a.pk).merged_into_id is None
    assert not DismissedPair.objects.exists()


def test_bad_merge_input_is_refused_and_loses_nothing(
    make_post: MakePost, admin_client: Client, private_board: Board
) -> None:
    a = make_post("Import our ideas from Trello")
    other = make_post("Trello import", board=private_board)
    assert admin_client.post("/similar/merge/", {"source": "x", "target": a.pk}).status_code == 404
    response = admin_client.post(
        "/similar/merge/", {"source": a.pk, "target": other.pk}, follow=True
    )
    assert "only be merged within one board" in response.content.decode()
    assert Post.objects.get(pk=a.pk).merged_into_id is None
    response = admin_client.post("/similar/dismiss/", {"first": a.pk, "second": a.pk}, follow=True)
    assert "cannot be paired with itself" in response.content.decode()


def test_embedposts_backfills_with_progress_and_resumes(make_post: MakePost) -> None:
    posts = [make_post(f"Idea number {i} about exports") for i in range(5)]
    PostVector.objects.filter(post__in=posts[:3]).delete()
    out, err = StringIO(), StringIO()
    call_command("embedposts", "--batch-size", "2", stdout=out, stderr=err)
    assert "Computed 3 post vectors" in out.getvalue()
    assert "3/3" in err.getvalue()  # tqdm's progress bar
    assert PostVector.objects.count() == 5
    out = StringIO()
    call_command("embedposts", "--no-progress", stdout=out)
    assert "Computed 0 post vectors" in out.getvalue()
    with pytest.raises(CommandError, match="batch-size"):
        call_command("embedposts", "--batch-size", "0")


def test_the_model_loads_with_no_network() -> None:
    """The weights and tokenizer come from the installed package; any attempt
    to open a connection fails this child process."""
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import django; django.setup()\n"
        "from monoboard.similar.embedding import embed\n"
        "v = embed(['Dark mode', 'Night theme'])\n"
        "print(v.shape, round(float(v[0] @ v[0]), 3))\n"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="monoboard.settings", HF_HUB_OFFLINE="1")
    env["HOME"] = str(ROOT / "var" / "no-such-home")  # no cached download to fall back on
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2, 256) 1.0"


@pytest.mark.django_db(transaction=True)
def test_a_large_first_load_runs_in_the_background(
    make_post: MakePost, member_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first look-up does not wait for a large table: it answers
    with the lexical suggestions while a thread loads the vectors."""
    keys = make_post("Keyboard navigation")
    make_post("Dark mode")
    make_post("Export posts to CSV")
    monkeypatch.setattr(index, "SYNC_LOAD_MAX", 2)
    monkeypatch.setattr(index, "_index", index.VectorIndex())  # has loaded nothing yet
    typed = "Keyboard shortcuts to move between ideas"
    assert similar(member_client, typed) == []
    deadline = time.monotonic() + 60
    while index._loading.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not index._loading.is_set()
    assert similar(member_client, typed)[:1] == [keys.pk]
