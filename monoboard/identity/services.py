"""Every write of the sign-in methods: emailed links and codes, provider
sign-in and linking, unlinking, and the admins' provider settings.

Each function validates (``ValidationError`` keyed by field), writes inside
one transaction and emits a domain event (ids only) where something may react.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from monoboard.accounts import services as accounts
from monoboard.accounts import throttle
from monoboard.accounts.models import User
from monoboard.boards.models import SiteSettings
from monoboard.core import roles as access
from monoboard.core.events import DomainEvent, emit
from monoboard.identity import providers
from monoboard.identity.models import (
    EmailChallenge,
    LinkedIdentity,
    Provider,
    ProviderKind,
    Purpose,
)
from monoboard.lib.counters import hit
from monoboard.notifications.services import outbox_add, outbox_email

#: Wrong codes one emailed challenge accepts before it stops working.
MAX_CODE_ATTEMPTS = 5
#: Sign-in emails one address, and one client address, may ask for per
#: SIGNIN_FAILURE_WINDOW.
MAX_MAILS_PER_EMAIL = 5
MAX_MAILS_PER_IP = 30
#: Challenges are deleted this long after they expire.
KEEP_EXPIRED = timedelta(days=1)

BAD_CODE = "That code is not right. Check the email and try again."
DEAD_CHALLENGE = "This sign-in code or link has expired or was already used. Ask for a new one."
OTHER_BROWSER = (
    "This link works only in the browser where the sign-in was asked for. Open it "
    "there, or type the six-digit code from the email on that browser's page."
)
UNVERIFIED = (
    "{provider} did not confirm that {email} is your address, so it cannot sign you in. "
    "Confirm the address with {provider}, or sign in another way."
)
NO_EMAIL = "{provider} did not tell us an email address, so it cannot sign you in."
INACTIVE = "This account is deactivated; ask an admin to reactivate it."
SIGNUP_CLOSED = (
    "No account here uses {email}, and sign-up is closed on this board. Ask an admin to invite you."
)
LINKED_ELSEWHERE = "This {provider} account is already linked to another person here."
LAST_WAY = (
    "This is your last way to sign in. Set a password or link another account before you unlink it."
)


class Throttled(Exception):
    """Too many requests or failures; the message says what to do."""


# --- emailed links and codes ------------------------------------------------------


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _code_hash(public_id: str, code: str) -> str:
    key = f"{settings.SECRET_KEY}:identity-code:{public_id}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def new_browser_nonce() -> str:
    """The secret a browser's session keeps to prove it asked for a sign-in."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SentChallenge:
    public_id: str
    email: str


def email_signin_request(
    *, email: str, browser_nonce: str, ip: str, next_url: str = ""
) -> SentChallenge:
    """Email a sign-in link and code for ``email``, bound to ``browser_nonce``.

    Answers the same way, doing the same work, whatever the address is: an
    active account gets a link and code that sign in; a new address gets one
    that creates the account (when sign-up is open); any other address gets a
    mail saying there is no account here, with nothing that can be redeemed.
    """
    if not settings.PASSWORDLESS_SIGNIN:
        raise PermissionDenied("Sign-in by email is turned off on this board.")
    email = accounts.normalise_email(email)
    if throttle.is_locked(email=email, ip=ip):
        raise Throttled("Too many failed sign-in attempts. Wait a few minutes and try again.")
    window = int(settings.SIGNIN_FAILURE_WINDOW)
    per_email = hit(f"identity:mail:email:{_sha256(email)[:32]}", window_s=window)
    per_ip = hit(f"identity:mail:ip:{ip}", window_s=window) if ip else 0
    if per_email > MAX_MAILS_PER_EMAIL or per_ip > MAX_MAILS_PER_IP:
        raise Throttled(
            "Too many sign-in emails asked for. Use the last one you received, or wait a "
            "few minutes."
        )
    now = timezone.now()
    public_id = secrets.token_urlsafe(18)
    code = f"{secrets.randbelow(1_000_000):06d}"
    link_secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        EmailChallenge.objects.filter(expires_at__lt=now - KEEP_EXPIRED).delete()
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and user.is_active:
            purpose = Purpose.SIGNIN
        elif user is None and settings.SIGNUP_OPEN:
            purpose = Purpose.SIGNUP
        else:
            purpose = Purpose.NONE
        redeemable = purpose != Purpose.NONE
        challenge = EmailChallenge.objects.create(
            public_id=public_id,
            email=email,
            user=user if purpose == Purpose.SIGNIN else None,
            purpose=purpose,
            # A "no account" challenge keeps hashes of secrets nobody was sent.
            code_hash=_code_hash(public_id, code if redeemable else secrets.token_hex(8)),
            link_hash=_sha256(link_secret if redeemable else secrets.token_hex(16)),
            browser_hash=_sha256(browser_nonce),
            next_url=next_url[:500],
            created_at=now,
            expires_at=now + timedelta(seconds=int(settings.PASSWORDLESS_TTL)),
        )
        _queue_mail(challenge, code=code, link_secret=link_secret)
    return SentChallenge(public_id=public_id, email=email)


def _queue_mail(challenge: EmailChallenge, *, code: str, link_secret: str) -> None:
    site = SiteSettings.load().site_name
    context = {
        "site_name": site,
        "site_url": settings.SITE_URL,
        "code": code,
        "link": f"{settings.SITE_URL}/accounts/email/{challenge.public_id}/{link_secret}/",
        "minutes": max(1, int(settings.PASSWORDLESS_TTL) // 60),
        "signup": challenge.purpose == Purpose.SIGNUP,
        "signin_url": f"{settings.SITE_URL}/accounts/signin/",
    }
    template = "no_account" if challenge.purpose == Purpose.NONE else "email_code"
    subject = render_to_string(f"identity/email/{template}_subject.txt", context)
    body = render_to_string(f"identity/email/{template}.txt", context)
    outbox_add(
        outbox_email(
            recipient=challenge.email,
            subject=" ".join(subject.split()),
            body=body,
            user=challenge.user,
            kind="signin",
        )
    )


def _challenge_for(public_id: str) -> EmailChallenge | None:
    if not public_id or len(public_id) > 32:
        return None
    return EmailChallenge.objects.filter(public_id=public_id).first()


def _redeem(challenge_id: int, *, check: str, secret: str) -> User:
    """Use the challenge once and return the person it signs in (made now for a
    new address). ``check`` is "code" or "link"; raises ValidationError."""
    now = timezone.now()
    with transaction.atomic():
        challenge = EmailChallenge.objects.select_for_update().get(pk=challenge_id)
        if (
            challenge.used_at is not None
            or challenge.expires_at <= now
            or challenge.failed_attempts >= MAX_CODE_ATTEMPTS
        ):
            raise ValidationError({"code": DEAD_CHALLENGE})
        if check == "code":
            right = hmac.compare_digest(
                challenge.code_hash, _code_hash(challenge.public_id, secret)
            )
        else:
            right = hmac.compare_digest(challenge.link_hash, _sha256(secret))
        if not right or challenge.purpose == Purpose.NONE:
            EmailChallenge.objects.filter(pk=challenge.pk).update(
                failed_attempts=challenge.failed_attempts + 1
            )
            wrong = True
        else:
            wrong = False
            challenge.used_at = now
            challenge.save(update_fields=["used_at"])
            user = _challenge_user(challenge)
    if wrong:
        raise ValidationError({"code": BAD_CODE if check == "code" else DEAD_CHALLENGE})
    return user


def _challenge_user(challenge: EmailChallenge) -> User:
    if challenge.purpose == Purpose.SIGNIN:
        user = User.objects.filter(pk=challenge.user_id or 0).first()
    else:  # sign-up; someone may have made the account since the mail left
        user = User.objects.filter(email__iexact=challenge.email).first()
        if user is None:
            try:
                return accounts.member_create_verified(email=challenge.email)
            except PermissionDenied:
                raise ValidationError(
                    {"code": SIGNUP_CLOSED.format(email=challenge.email)}
                ) from None
    if user is None or not user.is_active:
        raise ValidationError({"code": INACTIVE})
    return user


def email_signin_with_code(
    *, public_id: str, browser_nonce: str, code: str, ip: str
) -> tuple[User, str]:
    """Sign in with the six-digit code, in the browser that asked: (user, next_url)."""
    challenge = _challenge_for(public_id)
    if challenge is None or not hmac.compare_digest(challenge.browser_hash, _sha256(browser_nonce)):
        raise ValidationError({"code": DEAD_CHALLENGE})
    if throttle.is_locked(email=challenge.email, ip=ip):
        raise Throttled("Too many failed sign-in attempts. Wait a few minutes and try again.")
    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        raise ValidationError({"code": "Enter the six digits from the email."})
    try:
        user = _redeem(challenge.pk, check="code", secret=code)
    except ValidationError:
        throttle.record_failure(email=challenge.email, ip=ip)
        raise
    throttle.clear(email=challenge.email)
    return user, challenge.next_url


class WrongBrowser(Exception):
    """The link was opened in a browser that did not ask for it."""


def email_signin_with_link(
    *, public_id: str, secret: str, browser_nonce: str, ip: str
) -> tuple[User, str]:
    """Sign in with the emailed link, in the browser that asked: (user, next_url)."""
    challenge = _challenge_for(public_id)
    if challenge is None or not hmac.compare_digest(challenge.link_hash, _sha256(secret or "")):
        throttle.record_failure(email="", ip=ip)
        raise ValidationError({"code": DEAD_CHALLENGE})
    if not hmac.compare_digest(challenge.browser_hash, _sha256(browser_nonce or "")):
        raise WrongBrowser(OTHER_BROWSER)
    if throttle.is_locked(email=challenge.email, ip=ip):
        raise Throttled("Too many failed sign-in attempts. Wait a few minutes and try again.")
    user = _redeem(challenge.pk, check="link", secret=secret)
    throttle.clear(email=challenge.email)
    return user, challenge.next_url


# --- providers: sign in, link, unlink ---------------------------------------------


@dataclass(frozen=True)
class ProviderIdentity:
    """Who a provider says the person is, after the flow checked its answer."""

    provider: str
    provider_name: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""


def provider_sign_in(*, identity: ProviderIdentity, actor: User | None) -> tuple[User, str]:
    """Sign in (or link, when ``actor`` is signed in) with a provider's account.

    Returns (user, what): "signed_in", "linked" or "created". An account at a
    provider is linked to a person here by its subject, once; the first time,
    only through an email address the provider says is verified. Everything
    happens in one transaction: a refusal leaves no account and no link.
    """
    label = identity.provider_name
    if not identity.subject:
        raise ValidationError(f"{label} did not say who you are; try again.")
    with transaction.atomic():
        link = (
            LinkedIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=identity.provider, subject=identity.subject)
            .first()
        )
        if link is not None:
            if actor is not None and actor.pk != link.user_id:
                raise ValidationError(LINKED_ELSEWHERE.format(provider=label))
            if not link.user.is_active:
                raise ValidationError(INACTIVE)
            link.last_used_at = timezone.now()
            link.save(update_fields=["last_used_at"])
            return link.user, "signed_in"
        if not identity.email:
            raise ValidationError(NO_EMAIL.format(provider=label))
        email = accounts.normalise_email(identity.email)
        if not identity.email_verified:
            raise ValidationError(UNVERIFIED.format(provider=label, email=email))
        what = "linked"
        if actor is not None:
            user = actor
        else:
            found = User.objects.filter(email__iexact=email).first()
            if found is not None:
                if not found.is_active:
                    raise ValidationError(INACTIVE)
                user = found
            else:
                try:
                    user = accounts.member_create_verified(email=email, name=identity.name)
                except PermissionDenied:
                    raise ValidationError(SIGNUP_CLOSED.format(email=email)) from None
                what = "created"
        try:
            with transaction.atomic():
                LinkedIdentity.objects.create(
                    user=user,
                    provider=identity.provider,
                    subject=identity.subject,
                    email=email,
                    last_used_at=timezone.now(),
                )
        except IntegrityError:  # a concurrent callback linked it first
            raise ValidationError(LINKED_ELSEWHERE.format(provider=label)) from None
        accounts._user_event("user.identity_linked", user, user, provider=identity.provider)
    return user, what


def sign_in_ways(user: User, *, without: int | None = None) -> int:
    """How many ways ``user`` has to sign in (less the link ``without``).

    A link counts only while its provider is configured: one left behind by a
    removed provider signs nobody in.
    """
    live = [p.slug for p in providers.configured()]
    links = LinkedIdentity.objects.filter(user=user, provider__in=live)
    if without is not None:
        links = links.exclude(pk=without)
    ways = links.count()
    if user.has_usable_password():
        ways += 1
    if settings.PASSWORDLESS_SIGNIN:
        ways += 1
    return ways


def identity_unlink(*, actor: User, identity_id: int) -> LinkedIdentity:
    """Remove one of your own links; never the last way you can sign in."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        link = LinkedIdentity.objects.filter(pk=identity_id, user=user).first()
        if link is None:
            raise ValidationError("That link does not exist.")
        if sign_in_ways(user, without=link.pk) == 0:
            raise ValidationError(LAST_WAY)
        link.delete()
        accounts._user_event("user.identity_unlinked", user, actor, provider=link.provider)
    return link


# --- providers: the admins' settings --------------------------------------------------

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _clean_url(url: str, *, field: str = "issuer") -> str:
    url = (url or "").strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValidationError({field: "Enter an https:// address."})
    if not parts.hostname or parts.query or parts.fragment:
        raise ValidationError({field: "Enter the address alone, without ? or #."})
    return url


@dataclass
class ProviderInput:
    slug: str
    kind: str
    name: str
    client_id: str
    client_secret: str  # blank on edit: keep the stored one
    issuer: str
    enabled: bool


def provider_save(*, actor: User, data: ProviderInput, provider_id: int | None = None) -> Provider:
    """Add or change a provider. The secret is write-only: a blank one keeps it."""
    access.require_admin(actor)
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    slug = (data.slug or "").strip().lower()
    if not SLUG.match(slug):
        bad("slug", "Use lower-case letters, digits and dashes (up to 40).")
    elif slug in providers.env_slugs():
        bad("slug", "The environment already configures a provider with this name.")
    if data.kind not in ProviderKind.values:
        bad("kind", "Choose GitHub, Google, GitLab or OpenID Connect.")
    name = " ".join((data.name or "").split())[:60] or dict(ProviderKind.choices).get(data.kind, "")
    client_id = (data.client_id or "").strip()
    if not client_id:
        bad("client_id", "Enter the client id the provider gave you.")
    secret = (data.client_secret or "").strip()
    if provider_id is None and not secret:
        bad("client_secret", "Enter the client secret the provider gave you.")
    try:
        issuer = _clean_url(data.issuer)
    except ValidationError as exc:
        for message in exc.message_dict.get("issuer", []):
            bad("issuer", message)
        issuer = ""
    if data.kind == ProviderKind.OIDC and not issuer and "issuer" not in errors:
        bad("issuer", "An OpenID Connect provider needs its issuer address.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        found = (
            Provider(slug=slug)
            if provider_id is None
            else Provider.objects.select_for_update().filter(pk=provider_id).first()
        )
        if found is None:
            raise ValidationError("That provider no longer exists.")
        row = found
        if Provider.objects.filter(slug=slug).exclude(pk=row.pk).exists():
            raise ValidationError({"slug": "Another provider has this name."})
        row.slug, row.kind, row.name = slug, data.kind, name
        row.client_id, row.issuer, row.enabled = client_id, issuer, bool(data.enabled)
        if secret:
            row.client_secret = secret
        row.updated_at = timezone.now()
        row.save()
        emit(
            DomainEvent(
                kind="settings.signin_provider_saved",
                actor_id=actor.pk,
                data={"provider_id": row.pk},
            )
        )
    return row


def provider_delete(*, actor: User, provider_id: int) -> None:
    """Remove a provider; people linked through it keep their other ways in."""
    access.require_admin(actor)
    with transaction.atomic():
        row = Provider.objects.select_for_update().filter(pk=provider_id).first()
        if row is None:
            return
        row.delete()
        emit(
            DomainEvent(
                kind="settings.signin_provider_deleted",
                actor_id=actor.pk,
                data={"provider_id": provider_id},
            )
        )
