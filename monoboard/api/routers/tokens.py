"""Access and refresh tokens for client apps (docs/api.md, "Tokens")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Status

from monoboard.accounts import credentials, throttle
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
        email, ip = payload.email.lower(), ratelimit.client_ip(request)
        if throttle.is_locked(email=email, ip=ip):
            raise Problem(
                429,
                "Too many failed sign-ins; wait before trying again.",
                headers={"Retry-After": str(settings.SIGNIN_FAILURE_WINDOW)},
            )
        user = authenticate(request, email=email, password=payload.password)
        if user is None or not user.is_active:
            throttle.record_failure(email=email, ip=ip)
            raise Problem(401, "The email or password is wrong.")
        throttle.clear(email=email)
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
