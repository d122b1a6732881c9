"""Ways to sign in besides a password: emailed links and codes, and accounts
at OAuth2 / OpenID Connect providers (docs/accounts.md)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from monoboard.accounts.models import User


class Purpose(models.TextChoices):
    SIGNIN = "signin", "Sign in to an account"
    SIGNUP = "signup", "Create an account for a new address"
    NONE = "none", "No account: the mail says so; nothing can be redeemed"


class EmailChallenge(models.Model):
    """One emailed sign-in: a link and a six-digit code; either works once.

    Only hashes are kept: the link's secret and the browser nonce as sha256,
    the code as an HMAC keyed with ``SECRET_KEY`` and the challenge's id.
    """

    public_id = models.CharField(max_length=32, unique=True)
    email = models.EmailField()
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="email_challenges"
    )
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64)
    browser_hash = models.CharField(max_length=64)
    next_url = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires_at"], name="challenge_expiry"),
        ]

    def __str__(self) -> str:
        return f"email challenge {self.public_id}"


class ProviderKind(models.TextChoices):
    GITHUB = "github", "GitHub"
    GOOGLE = "google", "Google"
    GITLAB = "gitlab", "GitLab"
    OIDC = "oidc", "OpenID Connect"


class Provider(models.Model):
    """A provider an admin configured on the settings page.

    Providers configured by environment (settings.SIGNIN_PROVIDERS) are not
    stored here; their slugs are reserved.
    """

    slug = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=8, choices=ProviderKind.choices)
    name = models.CharField(max_length=60)
    client_id = models.CharField(max_length=255)
    client_secret = models.CharField(max_length=255)
    #: OIDC issuer; for GitLab and GitHub the base address of a self-hosted server.
    issuer = models.URLField(max_length=300, blank=True, default="")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class LinkedIdentity(models.Model):
    """An account at a provider that signs a person in."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="linked_identities")
    provider = models.SlugField(max_length=40)
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_unique_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"
