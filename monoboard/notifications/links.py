"""Absolute links placed in emails, and the signed unsubscribe token.

Emails are read outside the site, so every link is built from
``settings.SITE_URL``. The unsubscribe token names one user and one kind and
is signed with the secret key, so it cannot be forged or pointed at someone
else; it does not expire, as mail clients may use it years later.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from monoboard.boards.models import Post

UNSUBSCRIBE_SALT = "monoboard.notifications.unsubscribe"
#: The kind an unsubscribe link in a daily digest carries: it stops every
#: kind that is currently sent as a digest.
DIGEST = "digest"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def post_path(post: Post) -> str:
    return reverse(
        "boards:post",
        kwargs={"board_slug": post.board.slug, "post_id": post.pk, "post_slug": post.slug},
    )


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The (user id, kind) a token names; raises signing.BadSignature if tampered."""
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    return int(value["u"]), str(value.get("k", ""))


def unsubscribe_url(user_id: int, kind: str) -> str:
    path = reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user_id, kind)})
    return absolute(path)


def unsubscribe_urls(user_ids: list[int], kind: str) -> dict[int, str]:
    """:func:`unsubscribe_url` for many users of one kind; the URL is resolved once."""
    stand_in = "monoboard-token"
    template = absolute(reverse("notifications:unsubscribe", kwargs={"token": stand_in}))
    head, _, tail = template.partition(stand_in)
    return {uid: f"{head}{unsubscribe_token(uid, kind)}{tail}" for uid in user_ids}
