"""A merged post names its target only to those who may see the target.

The "Merged into …" banner on the post page and ``merged_into`` in the API
say where the votes went; when the target is hidden, or on a members-only
board, a viewer who may not see it learns neither its title nor its id.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.api.tests.conftest import ApiClient, key_for
from monoboard.boards import services
from monoboard.boards.models import Board, Post
from monoboard.boards.tests.pages import make_post, post_url

pytestmark = pytest.mark.django_db

NEUTRAL = "This post was merged into another post"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _merge(source: Post, target: Post, moderator: User) -> None:
    """Merge through the API. Merges across boards are refused now, but sites
    keep those made before: such a merge is written as it was stored then."""
    if source.board_id != target.board_id:
        Post.objects.filter(pk=source.pk).update(
            merged_into=target, merged_at=timezone.now(), merged_by=moderator, is_listed=False
        )
        return
    api = ApiClient(key_for(moderator))
    response = api.post(f"/posts/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 200, response.content


def _api_post(client: ApiClient, post: Post) -> dict[str, Any]:
    response = client.get(f"/posts/{post.pk}")
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def test_hidden_target_is_not_named_to_visitors_or_members(
    outsider_client: Client,
    member_client: Client,
    member: User,
    other_member: User,
    moderator: User,
    public_board: Board,
) -> None:
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(public_board, other_member, title="Secret acquisition plan")
    _merge(source, target, moderator)
    services.post_set_hidden(post=target, actor=moderator, hidden=True)

    for client in (outsider_client, member_client):
        page = client.get(post_url(source))
        assert page.status_code == 200
        assert "Secret acquisition plan" not in page.text
        assert post_url(target) not in page.text
        assert NEUTRAL in page.text
    for api in (ApiClient(), ApiClient(key_for(member))):
        assert _api_post(api, source)["merged_into"] is None

    # The target's author and moderators may see it: for them it is named.
    for user in (other_member, moderator):
        client = Client()
        client.force_login(user)
        assert "Secret acquisition plan" in client.get(post_url(source)).text
        assert _api_post(ApiClient(key_for(user)), source)["merged_into"] == target.pk


def test_members_only_target_is_not_named_to_visitors(
    outsider_client: Client,
    member_client: Client,
    member: User,
    moderator: User,
    public_board: Board,
    private_board: Board,
) -> None:
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(private_board, moderator, title="Internal roadmap item")
    _merge(source, target, moderator)

    page = outsider_client.get(post_url(source))
    assert page.status_code == 200
    assert "Internal roadmap item" not in page.text
    assert f"/b/{private_board.slug}/" not in page.text
    assert NEUTRAL in page.text
    assert _api_post(ApiClient(), source)["merged_into"] is None

    # Members may see the members-only board, so they are told where it went.
    assert "Internal roadmap item" in member_client.get(post_url(source)).text
    assert _api_post(ApiClient(key_for(member)), source)["merged_into"] == target.pk


def test_cross_board_merge_links_to_the_targets_own_board(
    member_client: Client, member: User, moderator: User, public_board: Board
) -> None:
    bugs = Board.objects.create(name="Bugs", slug="bugs")
    source = make_post(public_board, member, title="Dark theme")
    target = make_post(bugs, member, title="Dark mode flickers")
    _merge(source, target, moderator)

    page = member_client.get(post_url(source)).text
    assert 'data-testid="merged-into"' in page
    assert f'href="{post_url(target)}"' in page
    assert f"/b/{public_board.slug}/p/{target.pk}/" not in page
    assert member_client.get(post_url(target)).status_code == 200

    # The moderators' "Merged here" list on the target links each source on its board.
    mod = Client()
    mod.force_login(moderator)
    assert f'href="{post_url(source)}"' in mod.get(post_url(target)).text
