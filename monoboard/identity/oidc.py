"""The authorisation-code flow with a provider, through Authlib's client.

``start`` sends the browser to the provider with a fresh state, nonce and
PKCE verifier kept in its session; ``finish`` checks the provider's answer
(state, code exchange, ID token signature, issuer, audience, expiry and
nonce) and says who the provider vouches for. Nothing here writes: the
caller hands the result to ``services.provider_sign_in``.
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError

from monoboard.identity import providers
from monoboard.identity.providers import ProviderConfig
from monoboard.identity.services import ProviderIdentity


class FlowError(Exception):
    """The provider's answer cannot be trusted or used; the message says why."""


def redirect_uri(provider: ProviderConfig) -> str:
    return f"{settings.SITE_URL}/accounts/oidc/{provider.slug}/callback/"


def start(request: HttpRequest, provider: ProviderConfig) -> HttpResponse:
    app = providers.client(provider)
    try:
        response = app.authorize_redirect(request, redirect_uri(provider))
    except (requests.RequestException, AuthlibBaseError, ValueError, KeyError) as exc:
        raise FlowError(
            f"{provider.name} could not be reached to start signing in ({type(exc).__name__}). "
            "Try again in a moment, or sign in another way."
        ) from exc
    providers.remember_metadata(provider, app)
    assert isinstance(response, HttpResponse)
    return response


def finish(request: HttpRequest, provider: ProviderConfig) -> ProviderIdentity:
    app = providers.client(provider)
    name = provider.name
    try:
        token = app.authorize_access_token(request)
        providers.remember_metadata(provider, app)
        if provider.is_oidc:
            return _oidc_identity(app, provider, token)
        return _github_identity(app, provider, token)
    except MismatchingStateError as exc:
        raise FlowError(
            "This sign-in answer does not belong to a sign-in this browser started (its "
            "state is unknown, changed or already used). Start again."
        ) from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "") or str(exc)
        raise FlowError(
            f"{name}'s ID token failed its checks ({claim}), so it was not trusted. Start again."
        ) from exc
    except JoseError as exc:
        raise FlowError(
            f"{name}'s ID token could not be verified ({exc.error}), so it was not trusted."
        ) from exc
    except AuthlibBaseError as exc:
        error = getattr(exc, "error", "") or "error"
        description = getattr(exc, "description", "") or ""
        detail = f"{error}: {description}" if description else error
        raise FlowError(f"{name} refused the sign-in ({detail}). Start again.") from exc
    except requests.RequestException as exc:
        raise FlowError(f"{name} could not be reached to finish signing in. Try again.") from exc


def _oidc_identity(app: Any, provider: ProviderConfig, token: dict[str, Any]) -> ProviderIdentity:
    claims = token.get("userinfo")
    if not claims:
        raise FlowError(f"{provider.name} sent no ID token, so it cannot sign you in.")
    claims = dict(claims)
    if "email" not in claims and app.load_server_metadata().get("userinfo_endpoint"):
        extra = dict(app.userinfo(token=token))
        if extra.get("sub") == claims.get("sub"):
            claims.update(
                {k: v for k, v in extra.items() if k in ("email", "email_verified", "name")}
            )
    verified = claims.get("email_verified")
    return ProviderIdentity(
        provider=provider.slug,
        provider_name=provider.name,
        subject=str(claims.get("sub") or ""),
        email=str(claims.get("email") or ""),
        email_verified=verified is True or verified == "true",
        name=str(claims.get("name") or ""),
    )


def _github_identity(app: Any, provider: ProviderConfig, token: dict[str, Any]) -> ProviderIdentity:
    """GitHub has no ID token: its API names the account and its verified addresses."""
    profile = app.get("user", token=token)
    profile.raise_for_status()
    person = profile.json()
    listed = app.get("user/emails", token=token)
    listed.raise_for_status()
    emails = [e for e in listed.json() if isinstance(e, dict)]
    chosen = next((e for e in emails if e.get("primary") and e.get("verified")), None)
    chosen = chosen or next((e for e in emails if e.get("verified")), None)
    chosen = chosen or next((e for e in emails if e.get("primary")), None)
    return ProviderIdentity(
        provider=provider.slug,
        provider_name=provider.name,
        subject=str(person.get("id") or ""),
        email=str((chosen or {}).get("email") or ""),
        email_verified=bool(chosen and chosen.get("verified") is True),
        name=str(person.get("name") or person.get("login") or ""),
    )
