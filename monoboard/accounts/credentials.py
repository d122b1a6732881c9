"""API credentials: personal API keys, access tokens and refresh tokens.

* API keys (``mb_...``) are random secrets; only their sha256 is stored, so a
  stolen database does not hand out working keys.
* Access tokens are signed with SECRET_KEY and expire after 15 minutes; they
  are checked without any database read except loading the user.
* Refresh tokens (``mbr_...``) are opaque, stored hashed, valid 7 days and
  rotated on every use. Presenting one that was already rotated means it was
  copied: the whole family (one sign-in) is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from monoboard.accounts.models import APIKey, RefreshToken, User
from monoboard.lib import bookkeeping

API_KEY_PREFIX = "mb_"
REFRESH_PREFIX = "mbr_"
ACCESS_SALT = "monoboard.api.access"
#: last_used_at is written at most this often per key (no write per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidCredentials(Exception):
    """The presented key or token is unknown, expired or revoked."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- API keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewAPIKey:
    key: APIKey
    secret: str  # shown once, never stored


def api_key_create(*, actor: User, name: str) -> NewAPIKey:
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Sign in first.")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the key a name, e.g. the script that uses it."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = APIKey.objects.create(user=actor, name=name, prefix=secret[:10], key_hash=_hash(secret))
    return NewAPIKey(key=key, secret=secret)


def api_key_revoke(*, actor: User, key_id: int) -> None:
    updated = APIKey.objects.filter(pk=key_id, user=actor, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated and not APIKey.objects.filter(pk=key_id, user=actor).exists():
        raise PermissionDenied("No such key.")


def api_keys_revoke_all(user: User) -> list[str]:
    """Revoke every live key of ``user`` (account recovery); their names."""
    live = APIKey.objects.filter(user=user, revoked_at__isnull=True)
    names = list(live.order_by("created_at", "id").values_list("name", flat=True))
    live.update(revoked_at=timezone.now())
    return names


def api_keys_of(user: User) -> list[APIKey]:
    return list(APIKey.objects.filter(user=user).order_by("-created_at", "-id"))


def user_for_api_key(secret: str) -> tuple[User, APIKey]:
    """The active user behind ``secret``; records its use at most once a minute."""
    key = (
        APIKey.objects.select_related("user")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True)
        .first()
    )
    if key is None or not key.user.is_active:
        raise InvalidCredentials("This API key is unknown or revoked.")
    now = timezone.now()
    stale = key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION
    # Bookkeeping: skipped rather than failing or stalling the request on a lock.
    if stale and bookkeeping.write_quietly(
        "API key last-used time",
        lambda: APIKey.objects.filter(pk=key.pk).update(last_used_at=now),
    ):
        key.last_used_at = now
    return key.user, key


# --- Access tokens ------------------------------------------------------------------


class _FixedTimeSigner(signing.TimestampSigner):
    def __init__(self, at: datetime, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._at = at

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._at.timestamp()))


def access_token_ttl() -> int:
    return int(settings.API_ACCESS_TOKEN_TTL_S)


def issue_access_token(user: User, family: uuid.UUID, *, now: datetime | None = None) -> str:
    """A signed token naming the user and sign-in family; ``now`` is for tests."""
    payload = {"u": user.pk, "f": family.hex}
    signer = _FixedTimeSigner(now or timezone.now(), salt=ACCESS_SALT)
    return signer.sign_object(payload, compress=True)


def user_for_access_token(token: str) -> User:
    try:
        payload = signing.TimestampSigner(salt=ACCESS_SALT).unsign_object(
            token, max_age=access_token_ttl()
        )
    except signing.SignatureExpired as exc:
        raise InvalidCredentials("This access token has expired; refresh it.") from exc
    except signing.BadSignature as exc:
        raise InvalidCredentials("This access token is not valid.") from exc
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None:
        raise InvalidCredentials("This access token is not valid.")
    return user


# --- Refresh tokens -----------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _new_refresh(user: User, family: uuid.UUID) -> str:
    secret = REFRESH_PREFIX + secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=_hash(secret),
        expires_at=timezone.now() + timedelta(seconds=settings.API_REFRESH_TOKEN_TTL_S),
    )
    return secret


def _pair(user: User, family: uuid.UUID) -> TokenPair:
    return TokenPair(
        access_token=issue_access_token(user, family),
        refresh_token=_new_refresh(user, family),
        expires_in=access_token_ttl(),
    )


@transaction.atomic
def tokens_for_password_signin(user: User) -> TokenPair:
    """A new token family for a user whose password the caller has checked."""
    return _pair(user, uuid.uuid4())


def refresh(secret: str) -> TokenPair:
    """Rotate ``secret``. Reuse of a rotated token revokes its family."""
    now = timezone.now()
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(secret))
            .first()
        )
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise InvalidCredentials("This refresh token is unknown, expired or revoked.")
        if token.used_at is None and token.user.is_active:
            token.used_at = now
            token.save(update_fields=["used_at"])
            return _pair(token.user, token.family)
    # Reused after rotation: someone else holds a copy. Revoke the whole
    # sign-in (outside the block above, so the revocation is committed).
    revoke_family(token.family)
    raise InvalidCredentials("This refresh token was already used; sign in again.")


def revoke_family(family: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def revoke_all_refresh_tokens(user: User) -> int:
    """Sign every client app of ``user`` out; the number of sign-ins ended."""
    live = RefreshToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    families = live.values("family").distinct().count()
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return families


def revoke(secret: str) -> None:
    """Sign out: revoke the family of ``secret`` (unknown tokens are ignored)."""
    token = RefreshToken.objects.filter(token_hash=_hash(secret)).first()
    if token is not None:
        revoke_family(token.family)


def prune_refresh_tokens() -> int:
    """Delete refresh tokens that expired (they can never be used again)."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
