"""Access and refresh tokens for client apps (docs/api.md, "Tokens")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from monoboard.accounts import credentials, services
from monoboard.api import ratelimit
from monoboard.api.errors import Problem
from monoboard.api.schemas import RevokeIn, TokenIn, TokenOut

router = Router(tags=["auth"])


def _out(pair: credentials.TokenPair) -> dict[str, Any]:
    return {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
    }


@router.post("/auth/token", response=TokenOut, auth=None, summary="Sign in or refresh")
def token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    ratelimit.check(request, caller=None)
    if payload.grant_type == "password":
        if not payload.email or not payload.password:
            raise Problem(
                422,
                "Send email and password.",
                errors={
                    name: ["This field is required."]
                    for name in ("email", "password")
                    if not getattr(payload, name)
                },
            )
        try:  # the same service, and so the same throttle, as the sign-in page
            user = services.user_signin(
                request=request,
                email=payload.email,
                password=payload.password,
                ip=ratelimit.client_ip(request),
            )
        except services.SignInThrottled as exc:
            raise Problem(
                429, str(exc), headers={"Retry-After": str(settings.SIGNIN_FAILURE_WINDOW)}
            ) from exc
        except ValidationError as exc:
            raise Problem(401, "The email or password is wrong.") from exc
        return _out(credentials.tokens_for_password_signin(user))
    if not payload.refresh_token:
        raise Problem(
            422, "Send refresh_token.", errors={"refresh_token": ["This field is required."]}
        )
    try:
        return _out(credentials.refresh(payload.refresh_token))
    except credentials.InvalidCredentials as exc:
        raise Problem(401, str(exc)) from exc


@router.post("/auth/revoke", response={204: None}, auth=None, summary="Sign out a client app")
def revoke(request: HttpRequest, payload: RevokeIn) -> Status[None]:
    ratelimit.check(request, caller=None)
    credentials.revoke(payload.refresh_token)
    return Status(204, None)
