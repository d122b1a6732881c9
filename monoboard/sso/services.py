"""Every write of single sign-on: identify, settings, the secret, board rules.

``identify`` checks the whole token and every field it carries before it
writes anything, then creates or updates the person (matched by external id,
then by email) in one transaction whose last write is the domain event. A
refused token leaves no trace but its message.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from monoboard.accounts import credentials
from monoboard.accounts.models import Company, Role, User
from monoboard.accounts.services import normalise_email
from monoboard.boards import access
from monoboard.boards.models import Board
from monoboard.core.events import DomainEvent, emit
from monoboard.sso import selectors
from monoboard.sso.models import RedirectMode, SSOSettings, UsedToken
from monoboard.sso.tokens import Claims, TokenRefused, decode

__all__ = [
    "TokenRefused",
    "board_access_rules_set",
    "identify",
    "secret_regenerate",
    "sso_settings_update",
    "widget_session",
]

NAME_MAX = 80


def _clean_avatar(url: str) -> str:
    if not url:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise TokenRefused("The claim 'avatar' must be an http(s) address.") from None
    if len(url) > 500:
        raise TokenRefused("The claim 'avatar' is too long (500 characters at most).")
    return url


def _profile(claims: Claims) -> tuple[str, str, str]:
    """Email, name and avatar from ``claims``, checked; raises TokenRefused."""
    if not claims.external_id:
        raise TokenRefused("The token names no user: set 'id' (or 'sub').")
    if len(claims.external_id) > 128:
        raise TokenRefused("The user id is too long (128 characters at most).")
    try:
        email = normalise_email(claims.email)
    except ValidationError as exc:
        raise TokenRefused(f"The claim 'email': {exc.messages[0]}") from None
    name = " ".join(claims.name.split())[:NAME_MAX]
    return email, name, _clean_avatar(claims.avatar)


def _match(claims: Claims, email: str) -> User | None:
    by_id = User.objects.select_for_update().filter(external_id=claims.external_id).first()
    if by_id is not None:
        return by_id
    by_email = User.objects.select_for_update().filter(email__iexact=email).first()
    if by_email is not None and by_email.external_id not in (None, claims.external_id):
        raise TokenRefused(
            "This email address belongs to another single sign-on user id; "
            "change it on that user first."
        )
    return by_email


def _company(claims: Claims) -> Company | None:
    if claims.company is None:
        return None
    company, _ = Company.objects.get_or_create(external_id=claims.company.id)
    company.name = claims.company.name[:120] or company.name
    if claims.company.monthly_revenue is not None:
        company.monthly_revenue = claims.company.monthly_revenue
    company.plan = claims.plan[:60] or company.plan
    company.updated_at = timezone.now()
    company.save()
    return company


def identify(*, token: str) -> User:
    """The person ``token`` names, created or updated; TokenRefused with a reason if not."""
    config = selectors.sso_settings()
    claims = decode(token, config)
    email, name, avatar = _profile(claims)
    try:
        with transaction.atomic():
            now = timezone.now()
            UsedToken.objects.filter(expires_at__lt=now).delete()
            try:
                with transaction.atomic():
                    UsedToken.objects.create(jti=claims.jti[:255], expires_at=claims.expires_at)
            except IntegrityError:
                raise TokenRefused("This token was already used; sign in again.") from None
            user = _match(claims, email)
            if user is not None and not user.is_active:
                raise TokenRefused("This account is deactivated; ask an admin.")
            if user is not None and user.email.lower() != email:
                taken = User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
                if taken:
                    raise TokenRefused("Another account already uses this email address.")
            created = user is None
            if user is None:
                user = User(role=Role.MEMBER)
                user.set_unusable_password()
            user.external_id = claims.external_id
            user.email = email
            user.name = name or user.name
            user.avatar_url = avatar or user.avatar_url
            user.company = _company(claims)
            user.plan = claims.plan[:60].lower()
            if claims.monthly_revenue is not None:
                user.monthly_revenue = claims.monthly_revenue
            user.sso_roles = "," + ",".join(claims.roles) + "," if claims.roles else ""
            user.save()
            emit(
                DomainEvent(
                    kind="user.created" if created else "user.sso_updated",
                    actor_id=user.pk,
                    data={"user_id": user.pk, "via": "sso"},
                )
            )
    except IntegrityError:  # a concurrent identify of the same person won the race
        raise TokenRefused(
            "This person is being signed in by another request; try again."
        ) from None
    return user


# --- the widget -------------------------------------------------------------------


@dataclass(frozen=True)
class WidgetSession:
    user: User
    access_token: str
    expires_in: int


def origin_allowed(origin: str, config: SSOSettings | None = None) -> bool:
    config = config or selectors.sso_settings()
    return bool(origin) and origin.rstrip("/") in {o.rstrip("/") for o in config.origins}


def widget_session(*, token: str, origin: str) -> WidgetSession:
    """Identify inside the widget: an access token the frame keeps in memory."""
    config = selectors.sso_settings()
    if not origin_allowed(origin, config):
        raise TokenRefused("This site is not allowed to embed the feedback widget.")
    user = identify(token=token)
    return WidgetSession(
        user=user,
        access_token=credentials.issue_access_token(user, uuid.uuid4()),
        expires_in=credentials.access_token_ttl(),
    )


# --- admin settings ---------------------------------------------------------------


def _settings_for_update() -> SSOSettings:
    config, _ = SSOSettings.objects.select_for_update().get_or_create(pk=1)
    return config


def _settings_event(actor: User, **data: object) -> None:
    transaction.on_commit(selectors.forget_redirect_config)
    emit(DomainEvent(kind="site.sso_changed", actor_id=actor.pk, data=dict(data)))


def secret_regenerate(*, actor: User) -> str:
    """A new HS256 secret (the old one stops working at once); shown to the admin once."""
    access.require_admin(actor)
    secret = "mbsso_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        config = _settings_for_update()
        config.secret = secret
        config.secret_created_at = config.updated_at = timezone.now()
        config.save()
        _settings_event(actor, secret_regenerated=True)
    return secret


def _clean_origin(line: str) -> str:
    parts = urlsplit(line.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.path not in ("", "/"):
        raise ValidationError(
            {
                "widget_origins": f"{line.strip()[:80]!r} is not an origin like https://app.example.com"
            }
        )
    if parts.query or parts.fragment or "*" in parts.netloc:
        raise ValidationError({"widget_origins": f"{line.strip()[:80]!r}: give exact origins."})
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _clean_url(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(value)
    except ValidationError:
        raise ValidationError({field: "Enter an http(s) address."}) from None
    return value


def sso_settings_update(
    *,
    actor: User,
    jwks_url: str,
    issuer: str,
    audience: str,
    login_url: str,
    redirect_mode: str,
    widget_origins: str,
) -> SSOSettings:
    access.require_admin(actor)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, value in (("jwks_url", jwks_url), ("login_url", login_url)):
        try:
            cleaned[field] = _clean_url(value, field)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
    origins: list[str] = []
    for line in (widget_origins or "").splitlines():
        if line.strip():
            try:
                origins.append(_clean_origin(line))
            except ValidationError as exc:
                errors.setdefault("widget_origins", []).extend(exc.message_dict["widget_origins"])
    if redirect_mode not in RedirectMode.values:
        errors["redirect_mode"] = ["Choose one of the listed ways."]
    elif redirect_mode != RedirectMode.OFF and not cleaned.get("login_url"):
        errors.setdefault("login_url", []).append("Redirect sign-in needs your login URL.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        config = _settings_for_update()
        config.jwks_url = cleaned["jwks_url"]
        config.login_url = cleaned["login_url"]
        config.issuer = (issuer or "").strip()[:200]
        config.audience = (audience or "").strip()[:200]
        config.redirect_mode = redirect_mode
        config.widget_origins = "\n".join(dict.fromkeys(origins))
        config.updated_at = timezone.now()
        config.save()
        _settings_event(actor)
    return config


def _wrapped(values: str, field: str, *, domains: bool = False) -> str:
    items = []
    for raw in (values or "").replace(",", " ").split():
        item = raw.strip().lower().lstrip("@")
        if domains and ("." not in item or "/" in item or "@" in item):
            raise ValidationError({field: f"{raw[:60]!r} is not a domain like example.com"})
        items.append(item[:60])
    items = list(dict.fromkeys(items))
    wrapped = "," + ",".join(items) + "," if items else ""
    if len(wrapped) > 500:
        raise ValidationError({field: "Keep the list under 500 characters."})
    return wrapped


def board_access_rules_set(
    *, actor: User, board: Board, email_domains: str, sso_only: bool, roles: str, plans: str
) -> Board:
    """Set who beyond public/private may see ``board``; every surface follows (access.py)."""
    access.require_admin(actor)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for field, raw, is_domain in (
        ("allowed_email_domains", email_domains, True),
        ("allowed_roles", roles, False),
        ("allowed_plans", plans, False),
    ):
        try:
            values[field] = _wrapped(raw, field, domains=is_domain)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Board.objects.select_for_update().get(pk=board.pk)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.sso_only = sso_only
        locked.save(update_fields=[*values, "sso_only"])
        emit(
            DomainEvent(
                kind="board.access_changed",
                board_id=locked.pk,
                actor_id=actor.pk,
                data={"sso_only": sso_only},
            )
        )
    return locked
