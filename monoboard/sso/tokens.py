"""Checking the signed identify token (a JWT) the customer's server makes.

PyJWT does the cryptography: HS256 with the site's secret, or RS256/ES256
with a key from the JWKS URL set by an admin. The algorithm is never taken
on the token's word alone: ``none`` and anything else is refused before a
key is looked at, and HS256 is accepted only when a secret is set (so a
public RSA key can never be used as an HMAC secret).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings

from monoboard.sso.models import SSOSettings

ASYMMETRIC = ("RS256", "ES256")


class TokenRefused(Exception):
    """The token cannot be trusted; the message says why, for the person or developer."""


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    monthly_revenue: int | None


@dataclass(frozen=True)
class Claims:
    """What a valid token says, not yet validated as profile data."""

    jti: str
    expires_at: datetime
    external_id: str
    email: str
    name: str
    avatar: str
    company: Company | None
    plan: str
    monthly_revenue: int | None
    roles: list[str] = field(default_factory=list)


_clients: dict[str, jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(
                url,
                cache_keys=True,
                lifespan=int(settings.SSO_JWKS_CACHE_S),
                timeout=int(settings.SSO_JWKS_TIMEOUT_S),
                cooldown_duration=float(settings.SSO_JWKS_REFETCH_S),
            )
            _clients[url] = client
        return client


def _key_for(token: str, alg: str, config: SSOSettings) -> Any:
    if alg == "HS256":
        if not config.secret:
            raise TokenRefused("HS256 tokens are not accepted: no shared secret is set.")
        return config.secret
    if alg in ASYMMETRIC:
        if not config.jwks_url:
            raise TokenRefused(f"{alg} tokens are not accepted: no JWKS URL is set.")
        try:
            return _jwks_client(config.jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise TokenRefused("The signing keys could not be fetched from the JWKS URL.") from exc
        except jwt.PyJWKClientError as exc:
            raise TokenRefused("No key at the JWKS URL matches this token's key id.") from exc
    if alg.lower() == "none":
        raise TokenRefused("Unsigned tokens (alg: none) are refused.")
    raise TokenRefused(f"The signing algorithm {alg[:20]!r} is not accepted (HS256, RS256, ES256).")


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TokenRefused(f"The claim {key!r} must be text.")
    if any(ord(c) < 32 for c in str(value)):
        raise TokenRefused(f"The claim {key!r} holds control characters.")
    return str(value).strip()


#: The largest monthly revenue a token may give (sums of many stay within 64 bits).
REVENUE_MAX = 10**12
ROLES_MAX = 20
ROLE_LENGTH_MAX = 40


def _amount(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= REVENUE_MAX
    ):
        raise TokenRefused(f"The claim {key!r} must be a number from 0 to {REVENUE_MAX}.")
    return round(value)


def _roles(value: Any) -> list[str]:
    roles = value or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise TokenRefused("The claim 'roles' must be a list of names.")
    names = [r.strip().lower() for r in roles if r.strip()]
    if any(ord(c) < 32 for r in names for c in r):
        raise TokenRefused("The claim 'roles' holds control characters.")
    if len(names) > ROLES_MAX or any(len(r) > ROLE_LENGTH_MAX or "," in r for r in names):
        raise TokenRefused(
            f"The claim 'roles' takes at most {ROLES_MAX} names of at most "
            f"{ROLE_LENGTH_MAX} characters, without commas."
        )
    return sorted(set(names))


def decode(token: str, config: SSOSettings) -> Claims:
    """The claims of ``token`` if it is well signed, current and meant for us."""
    token = (token or "").strip()
    if not token:
        raise TokenRefused("No token was given.")
    if len(token) > 8192:
        raise TokenRefused("The token is too long.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise TokenRefused("This is not a signed token (JWT).") from exc
    alg = str(header.get("alg") or "none")
    key = _key_for(token, alg, config)
    options: dict[str, Any] = {
        "require": ["exp", "iat", "jti"],
        "verify_aud": bool(config.audience),
    }
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=config.audience or None,
            issuer=config.issuer or None,
            leeway=int(settings.SSO_CLOCK_SKEW_S),
            options=options,  # type: ignore[arg-type]
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRefused("This token has expired; sign in again.") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenRefused("This token's signature does not match the key.") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenRefused("This token is meant for another audience.") from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenRefused("This token comes from another issuer.") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenRefused(f"The token lacks the {exc.claim!r} claim.") from exc
    except jwt.ImmatureSignatureError as exc:
        raise TokenRefused("This token is not valid yet; check the server's clock.") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenRefused(f"This token is not valid: {exc}") from exc
    expires_at = datetime.fromtimestamp(int(payload["exp"]), tz=UTC)
    issued_at = datetime.fromtimestamp(int(payload["iat"]), tz=UTC)
    if (expires_at - issued_at).total_seconds() > int(settings.SSO_TOKEN_MAX_AGE_S):
        raise TokenRefused(
            f"The token lives too long: make exp at most {settings.SSO_TOKEN_MAX_AGE_S} "
            "seconds after iat."
        )
    company_claim = payload.get("company")
    company = None
    if company_claim is not None:
        if not isinstance(company_claim, dict):
            raise TokenRefused("The claim 'company' must be an object with id and name.")
        company_id = _text(company_claim, "id")
        if not company_id:
            raise TokenRefused("The company needs an 'id'.")
        company = Company(
            id=company_id[:128],
            name=_text(company_claim, "name"),
            monthly_revenue=_amount(
                company_claim.get("monthly_revenue"), "company.monthly_revenue"
            ),
        )
    return Claims(
        jti=_text(payload, "jti"),
        expires_at=expires_at,
        external_id=_text(payload, "id") or _text(payload, "sub"),
        email=_text(payload, "email"),
        name=_text(payload, "name"),
        avatar=_text(payload, "avatar"),
        company=company,
        plan=_text(payload, "plan"),
        monthly_revenue=_amount(payload.get("monthly_revenue"), "monthly_revenue"),
        roles=_roles(payload.get("roles")),
    )
