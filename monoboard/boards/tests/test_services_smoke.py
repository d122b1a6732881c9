from __future__ import annotations

import pytest

from monoboard.accounts.models import User
from monoboard.boards import services
from monoboard.boards.models import Board, Post


@pytest.mark.django_db
def test_new_post_counts_its_authors_vote_and_toggle_takes_it_back(
    member: User, public_board: Board
) -> None:
    post = services.post_create(board=public_board, author=member, title="Dark mode please")
    assert post.vote_count == 1
    result = services.vote_toggle(post=post, user=member)
    assert not result.voted
    assert Post.objects.get(pk=post.pk).vote_count == 0
