"""Who is calling: an API key, an access token, the browser session, or nobody.

Every operation runs :class:`ApiAuth`; it never refuses a missing credential
(anonymous readers see public boards) but refuses a bad one with 401, checks
CSRF for the browser session on unsafe methods, and applies the rate limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security.http import HttpBearer
from ninja.utils import check_csrf

from monoboard.accounts import credentials
from monoboard.api import ratelimit
from monoboard.api.errors import Problem
from monoboard.lib.readcontext import identify

if TYPE_CHECKING:
    from monoboard.accounts.models import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiAuth(HttpBearer):
    """Bearer ``mb_...`` API key or access token; falls back to the session."""

    #: Tells the docs page to send X-CSRFToken, so "Try it out" works signed in.
    csrf = True

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        caller: str | None = None
        user: User | AnonymousUser
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationError(401, "Use 'Authorization: Bearer <API key or token>'.")
            try:
                user, caller = self.authenticate(request, token.strip())
            except AuthenticationError:
                # Guessing keys costs the guesser their address's anonymous budget.
                ratelimit.check(request, caller=None)
                raise
            # Read-your-writes: this caller's commit position is kept under its key.
            identify(caller)
        elif request.user.is_authenticated:
            if request.method not in SAFE_METHODS and check_csrf(request) is not None:
                raise Problem(403, "CSRF check failed: send the X-CSRFToken header.")
            user = request.user
            caller = f"user:{user.pk}"
        else:
            user = AnonymousUser()
        ratelimit.check(request, caller=caller)
        request.user = user
        return user

    def authenticate(self, request: HttpRequest, token: str) -> tuple[User, str]:
        try:
            if token.startswith(credentials.API_KEY_PREFIX):
                user, key = credentials.user_for_api_key(token)
                return user, f"key:{key.pk}"
            user = credentials.user_for_access_token(token)
        except credentials.InvalidCredentials as exc:
            raise AuthenticationError(401, str(exc)) from exc
        return user, f"user:{user.pk}"


api_auth = ApiAuth()


def actor(request: HttpRequest) -> Any:
    """The caller as resolved by :class:`ApiAuth` (a User or AnonymousUser)."""
    return getattr(request, "auth", None) or AnonymousUser()
