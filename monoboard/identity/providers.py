"""Which OAuth2 / OpenID Connect providers are configured, and their Authlib clients.

A provider comes from the environment (``settings.SIGNIN_PROVIDERS``, read-only
on the settings page) or from a :class:`Provider` row an admin saved. GitHub
speaks plain OAuth2 and its REST API; Google, GitLab and any generic provider
speak OpenID Connect and are found through their discovery document.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings

from monoboard.identity.models import Provider, ProviderKind

GOOGLE_ISSUER = "https://accounts.google.com"
GITLAB_URL = "https://gitlab.com"
GITHUB_URL = "https://github.com"
#: How long a discovery document and key set are reused, in seconds.
METADATA_TTL_S = 600
HTTP_TIMEOUT_S = 10

_metadata: dict[str, tuple[float, dict[str, Any]]] = {}


@dataclass(frozen=True)
class ProviderConfig:
    slug: str
    kind: str
    name: str
    client_id: str
    client_secret: str
    issuer: str
    from_env: bool

    @property
    def is_oidc(self) -> bool:
        return self.kind != ProviderKind.GITHUB

    @property
    def base_url(self) -> str:
        """The issuer (OIDC) or server address (GitHub), without a trailing slash."""
        default = {
            ProviderKind.GITHUB: GITHUB_URL,
            ProviderKind.GOOGLE: GOOGLE_ISSUER,
            ProviderKind.GITLAB: GITLAB_URL,
        }.get(ProviderKind(self.kind), "")
        return (self.issuer or default).rstrip("/")


def _env_providers() -> list[ProviderConfig]:
    labels = dict(ProviderKind.choices)
    return [
        ProviderConfig(
            slug=slug,
            kind=slug,
            name=conf.get("name") or labels[slug],
            client_id=conf["client_id"],
            client_secret=conf.get("client_secret", ""),
            issuer=conf.get("issuer", ""),
            from_env=True,
        )
        for slug, conf in settings.SIGNIN_PROVIDERS.items()
        if slug in labels and conf.get("client_id")
    ]


def env_slugs() -> set[str]:
    return {p.slug for p in _env_providers()}


def configured() -> list[ProviderConfig]:
    """Every provider people may sign in with, environment ones first."""
    found = _env_providers()
    taken = {p.slug for p in found}
    for row in Provider.objects.filter(enabled=True).order_by("name", "pk"):
        if row.slug in taken:
            continue
        found.append(
            ProviderConfig(
                slug=row.slug,
                kind=row.kind,
                name=row.name,
                client_id=row.client_id,
                client_secret=row.client_secret,
                issuer=row.issuer,
                from_env=False,
            )
        )
    return found


def get(slug: str) -> ProviderConfig | None:
    return next((p for p in configured() if p.slug == slug), None)


def client(provider: ProviderConfig) -> DjangoOAuth2App:
    """An Authlib client for ``provider``; state, nonce and the PKCE verifier
    are kept in the browser's session under the provider's slug."""
    oauth = OAuth()
    common: dict[str, Any] = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "client_kwargs": {"code_challenge_method": "S256", "timeout": HTTP_TIMEOUT_S},
    }
    if provider.kind == ProviderKind.GITHUB:
        base = provider.base_url
        api = "https://api.github.com/" if base == GITHUB_URL else f"{base}/api/v3/"
        common["client_kwargs"]["scope"] = "read:user user:email"
        app = oauth.register(
            provider.slug,
            authorize_url=f"{base}/login/oauth/authorize",
            access_token_url=f"{base}/login/oauth/access_token",
            api_base_url=api,
            **common,
        )
    else:
        common["client_kwargs"]["scope"] = "openid email profile"
        discovery = f"{provider.base_url}/.well-known/openid-configuration"
        app = oauth.register(provider.slug, server_metadata_url=discovery, **common)
        cached = _metadata.get(discovery)
        if cached is not None and cached[0] > time.monotonic():
            app.server_metadata = dict(cached[1])
    assert isinstance(app, DjangoOAuth2App)
    return app


def remember_metadata(provider: ProviderConfig, app: DjangoOAuth2App) -> None:
    """Keep the discovery document (and key set) a flow fetched for the next flows."""
    if provider.is_oidc and app.server_metadata.get("issuer"):
        discovery = f"{provider.base_url}/.well-known/openid-configuration"
        _metadata[discovery] = (time.monotonic() + METADATA_TTL_S, dict(app.server_metadata))


def forget_metadata() -> None:
    _metadata.clear()


def masked(secret: str) -> str:
    """How a stored secret is shown again: its last four characters only."""
    if not secret:
        return ""
    return "•" * 8 + secret[-4:] if len(secret) > 8 else "•" * 8
