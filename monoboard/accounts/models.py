"""People who use the board. Email is the sign-in name; role decides power."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MODERATOR = "moderator", "Moderator"
    MEMBER = "member", "Member"


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class Company(models.Model):
    """A customer company, named by the customer's own id in signed SSO tokens."""

    external_id = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=120, blank=True)
    #: Monthly revenue from this company, in whole currency units (from identify).
    monthly_revenue = models.PositiveBigIntegerField(default=0)
    plan = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name or self.external_id


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=80, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Off by default: showing a Gravatar tells gravatar.com who looks at pages.
    use_gravatar = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False, editable=False)  # made by `manage.py seed`
    # Single sign-on (monoboard/sso, docs/accounts.md "Single sign-on"): the
    # customer's own id for this person, and what their signed token said.
    external_id = models.CharField(max_length=128, unique=True, null=True, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="people"
    )
    plan = models.CharField(max_length=60, blank=True)
    #: The person's own monthly revenue when the token names no company.
    monthly_revenue = models.PositiveBigIntegerField(default=0)
    #: Roles from the token, comma-wrapped (",beta,staff,") for board access rules.
    sso_roles = models.CharField(max_length=850, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    @property
    def is_staff(self) -> bool:  # Django admin uses this
        return self.role == Role.ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        """Moderators and admins both moderate."""
        return self.role in (Role.ADMIN, Role.MODERATOR)


# --- API credentials (monoboard/accounts/credentials.py, docs/api.md) ----------


class APIKey(models.Model):
    """A personal API key. Only the sha256 of the secret is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    #: The first characters of the secret, shown so people can tell keys apart.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "-created_at"], name="apikey_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"


class RefreshToken(models.Model):
    """One opaque refresh token of a sign-in; rotated on every use.

    All tokens issued from one password sign-in share a ``family``; presenting
    a token that was already rotated revokes the whole family.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    family = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.pk} of {self.user_id}"
