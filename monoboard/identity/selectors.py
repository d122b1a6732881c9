"""Reads of the sign-in methods."""

from __future__ import annotations

from dataclasses import dataclass

from monoboard.accounts.models import User
from monoboard.identity import providers
from monoboard.identity.models import LinkedIdentity, Provider


def provider_label(slug: str) -> str:
    found = providers.get(slug)
    return found.name if found is not None else slug


@dataclass(frozen=True)
class LinkRow:
    pk: int
    provider: str
    label: str
    email: str
    created_at: object


def linked_identities(user: User) -> list[LinkRow]:
    labels = {p.slug: p.name for p in providers.configured()}
    return [
        LinkRow(
            pk=int(link.pk),
            provider=link.provider,
            label=labels.get(link.provider, link.provider),
            email=link.email,
            created_at=link.created_at,
        )
        for link in LinkedIdentity.objects.filter(user=user).order_by("provider", "pk")
    ]


@dataclass(frozen=True)
class ProviderRow:
    pk: int
    slug: str
    kind: str
    name: str
    client_id: str
    secret: str  # masked
    issuer: str
    enabled: bool


def provider_rows() -> list[ProviderRow]:
    return [
        ProviderRow(
            pk=int(row.pk),
            slug=row.slug,
            kind=row.get_kind_display(),
            name=row.name,
            client_id=row.client_id,
            secret=providers.masked(row.client_secret),
            issuer=row.issuer,
            enabled=row.enabled,
        )
        for row in Provider.objects.order_by("name", "pk")
    ]
