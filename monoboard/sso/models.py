"""Single sign-on settings, remembered token ids, and nothing else.

The person a token names is an ordinary ``accounts.User`` (with the SSO
fields ``external_id``, ``company``, ``plan``, ``monthly_revenue``); board
access rules are fields of ``boards.Board``.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class RedirectMode(models.TextChoices):
    OFF = "off", "Off: people sign in on this board"
    SIGNIN = "signin", "The sign-in page sends visitors to your login"
    ALL = "all", "Every page sends visitors without a session to your login"


class SSOSettings(models.Model):
    """The site's single sign-on settings (one row, pk=1)."""

    #: HS256 shared secret. Shown to the admin once, when made; kept to check tokens.
    secret = models.CharField(max_length=128, blank=True)
    secret_created_at = models.DateTimeField(null=True, blank=True)
    jwks_url = models.URLField(max_length=500, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=200, blank=True)
    login_url = models.URLField(max_length=500, blank=True)
    redirect_mode = models.CharField(
        max_length=8, choices=RedirectMode.choices, default=RedirectMode.OFF
    )
    #: Origins allowed to embed the widget, one per line ("https://app.example.com").
    widget_origins = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "SSO settings"

    def __str__(self) -> str:
        return "SSO settings"

    @property
    def origins(self) -> list[str]:
        return [line.strip() for line in self.widget_origins.splitlines() if line.strip()]

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.jwks_url)


class UsedToken(models.Model):
    """A token id (``jti``) already used, kept until the token expires."""

    jti = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["expires_at"], name="sso_usedtoken_expires")
        ]

    def __str__(self) -> str:
        return self.jti
