"""Every payload says whether visitors may see the post, so receivers can filter."""

from __future__ import annotations

import json

from monoboard.accounts.models import User
from monoboard.boards import services as boards
from monoboard.boards.models import Board
from monoboard.webhooks import services
from monoboard.webhooks.tests.conftest import Jobs, Receiver


def _payloads(receiver: Receiver) -> list[dict[str, object]]:
    return [json.loads(r.body)["data"]["post"] for r in receiver.requests]


def test_public_members_only_and_hidden_posts_are_marked(
    jobs: Jobs, receiver: Receiver, admin: User, member: User, moderator: User,
    public_board: Board, private_board: Board,
) -> None:  # fmt: skip
    services.endpoint_create(actor=admin, url=receiver.url, events=["post.created"])
    with jobs.capture(execute=True):
        boards.post_create(board=public_board, author=member, title="Public idea")
        boards.post_create(board=private_board, author=member, title="Internal idea")
    jobs.run()
    by_title = {p["title"]: p for p in _payloads(receiver)}
    assert by_title["Public idea"]["visibility"] == "public"
    assert by_title["Public idea"]["board_private"] is False
    assert by_title["Internal idea"]["visibility"] == "members"
    assert by_title["Internal idea"]["board_private"] is True

    services.endpoint_create(actor=admin, url=receiver.url, events=["comment.created"])
    post = boards.post_create(board=public_board, author=member, title="Soon hidden")
    jobs.run()
    receiver.requests.clear()
    boards.comment_create(post=post, author=member, body="Still here")
    boards.post_set_hidden(post=post, actor=moderator, hidden=True)
    jobs.run()
    [hidden] = _payloads(receiver)
    assert (hidden["visibility"], hidden["hidden"]) == ("members", True)
