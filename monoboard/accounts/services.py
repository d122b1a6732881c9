"""Every write to user accounts goes through here.

Each function checks that the actor may act, validates (raising
``ValidationError`` keyed by field name), writes inside one transaction and
emits domain events delivered after commit. Views and management commands call
these; none of them writes ``User`` rows directly.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from monoboard.accounts import credentials, selectors, tasks, throttle
from monoboard.accounts.models import Role, User
from monoboard.core import roles as access
from monoboard.core.events import DomainEvent, emit
from monoboard.jobs import enqueue_on_commit
from monoboard.lib.counters import once

NAME_MAX = 80
EMAIL_MAX = 254
BAD_CREDENTIALS = "That email and password do not match an active account."
RESET_MAIL_INTERVAL_S = 60
TAKEN = "An account with this email address already exists."
LAST_ADMIN = "This is the last active admin; make someone else an admin first."


class SignInThrottled(Exception):
    """Too many failed sign-ins for this email or address; try again later."""


# --- validation helpers ---------------------------------------------------


def normalise_email(email: str, *, field: str = "email") -> str:
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError({field: "Enter an email address."})
    if len(email) > EMAIL_MAX:
        raise ValidationError({field: f"Keep the email address under {EMAIL_MAX} characters."})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({field: "Enter a valid email address."}) from None
    return email


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"Keep the name under {NAME_MAX} characters."})
    return name


def _check_password(password: str, user: User, *, field: str = "password") -> None:
    if not password:
        raise ValidationError({field: "Choose a password."})
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _ensure_email_free(email: str, *, exclude_id: int | None = None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise ValidationError({"email": TAKEN})


def _user_event(kind: str, user: User, actor: User | None, **data: object) -> None:
    """Events carry ids only, never addresses, so any subscriber may see them."""
    emit(
        DomainEvent(
            kind=kind,
            actor_id=actor.pk if actor is not None else None,
            data={"user_id": user.pk, **data},
        )
    )


def _is_last_active_admin(user: User) -> bool:
    if not (user.is_active and user.role == Role.ADMIN):
        return False
    admins = list(
        User.objects.select_for_update()
        .filter(role=Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    return admins == [user.pk]


def _collect(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def _create(*, email: str, password: str, name: str, role: str, actor: User | None) -> User:
    """Validate everything first so one answer lists every problem."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except ValidationError as exc:
        _collect(errors, exc)
    else:
        try:
            _ensure_email_free(email)
        except ValidationError as exc:
            _collect(errors, exc)
    try:
        name = _clean_name(name)
    except ValidationError as exc:
        _collect(errors, exc)
    user = User(email=email, name=name, role=role, is_superuser=role == Role.ADMIN)
    try:
        _check_password(password, user)
    except ValidationError as exc:
        _collect(errors, exc)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            _ensure_email_free(email)
            user.save()
            _user_event("user.created", user, actor or user, role=role)
    except IntegrityError:  # a concurrent sign-up with the same address won the race
        raise ValidationError({"email": TAKEN}) from None
    return user


# --- sign-up, sign-in, first admin ---------------------------------------------


def user_signup(*, email: str, password: str, name: str = "") -> User | None:
    """The new member, or None when the address already has an account.

    A taken address is not an error the caller may show: the answer must be
    the same as for a new address, so sign-up cannot tell strangers which
    addresses have accounts. The owner is emailed instead (at most once per
    ``RESET_MAIL_INTERVAL_S``) and can sign in or reset their password.
    """
    if not settings.SIGNUP_OPEN:
        raise PermissionDenied("Sign-up is closed on this board; ask an admin to invite you.")
    try:
        return _create(email=email, password=password, name=name, role=Role.MEMBER, actor=None)
    except ValidationError as exc:
        errors = exc.message_dict
        if errors.get("email") != [TAKEN]:
            raise
        others = {field: messages for field, messages in errors.items() if field != "email"}
        if others:
            raise ValidationError(others) from None
    owner = User.objects.filter(email__iexact=normalise_email(email)).first()
    if owner is not None and once(
        f"accounts:signup-mail:{owner.pk}", window_s=RESET_MAIL_INTERVAL_S
    ):
        enqueue_on_commit(tasks.send_signup_attempt, owner.pk)
    return None


def user_signin(*, request: HttpRequest | None, email: str, password: str, ip: str) -> User:
    """Check credentials under the failure throttle; the caller logs the user in.

    Raises :class:`SignInThrottled` while the email or the address is locked
    out, and a generic ``ValidationError`` for any other refusal (unknown
    email, wrong password, deactivated account) so nothing about accounts leaks.
    """
    email = (email or "").strip().lower()
    if throttle.is_locked(email=email, ip=ip):
        raise SignInThrottled(
            "Too many failed sign-in attempts. Wait a few minutes, or reset your password."
        )
    user = authenticate(request, email=email, password=password or "")  # every sign-in path
    if not isinstance(user, User) or not user.is_active:
        throttle.record_failure(email=email, ip=ip)
        raise ValidationError(BAD_CREDENTIALS)
    throttle.clear(email=email)
    return user


def first_admin_create(*, email: str, password: str, name: str = "") -> User:
    """Create the first admin; refused once any active admin exists."""
    with transaction.atomic():
        if selectors.active_admin_exists():
            raise PermissionDenied("This board already has an admin.")
        return _create(email=email, password=password, name=name, role=Role.ADMIN, actor=None)


def admin_create_or_promote(
    *, email: str, password: str | None, name: str | None = None
) -> tuple[User, bool]:
    """Operator path (``manage.py createadmin``): returns (user, created)."""
    email = normalise_email(email)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is None:
            if not password:
                raise ValidationError({"password": "A new admin needs a password."})
            created = _create(
                email=email, password=password, name=name or "", role=Role.ADMIN, actor=None
            )
            return created, True
        if name is not None:
            user.name = _clean_name(name)
        if password:
            _check_password(password, user)
            user.set_password(password)
        user.role = Role.ADMIN
        user.is_superuser = True
        user.is_active = True
        user.save()
        _user_event("user.role_changed", user, None, role=Role.ADMIN)
    return user, False


# --- profile ------------------------------------------------------------------


def _require_self_or_admin(actor: User, user: User) -> None:
    if actor.pk != user.pk:
        access.require_admin(actor)


def user_update_profile(
    *, actor: User, user: User, name: str, email: str, current_password: str = ""
) -> User:
    """Change name and email. People changing their own email confirm it with
    their password, so a borrowed session cannot take the account over."""
    _require_self_or_admin(actor, user)
    name = _clean_name(name)
    email = normalise_email(email)
    changes_email = email != user.email.lower()
    if changes_email and actor.pk == user.pk and not user.check_password(current_password or ""):
        raise ValidationError(
            {"current_password": "Enter your current password to change your email address."}
        )
    with transaction.atomic():
        _ensure_email_free(email, exclude_id=user.pk)
        user.name = name
        user.email = email
        user.save(update_fields=["name", "email"])
        _user_event("user.profile_updated", user, actor, email_changed=changes_email)
    return user


def user_change_password(
    *, actor: User, user: User, current_password: str, new_password: str
) -> None:
    if actor.pk != user.pk:
        raise PermissionDenied("Only the account's owner may change its password.")
    if not user.check_password(current_password or ""):
        raise ValidationError({"current_password": "That is not your current password."})
    _check_password(new_password, user, field="new_password1")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        # The new hash ends every other browser session (Django checks the
        # session's password hash on each request); client apps lose their
        # refresh tokens. The owner chose the change, so API keys stay.
        credentials.revoke_all_refresh_tokens(user)
        _user_event("user.password_changed", user, actor)


# --- roles and deactivation ---------------------------------------------------


def user_set_role(*, actor: User, user: User, role: str) -> User:
    access.require_admin(actor)
    if role not in Role.values:
        raise ValidationError({"role": "Choose admin, moderator or member."})
    with transaction.atomic():
        if role != Role.ADMIN and _is_last_active_admin(user):
            raise ValidationError({"role": LAST_ADMIN})
        user.role = role
        user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["role", "is_superuser"])
        _user_event("user.role_changed", user, actor, role=role)
    return user


def user_deactivate(*, actor: User, user: User) -> User:
    """Admins deactivate anyone, people themselves; sessions end with it."""
    _require_self_or_admin(actor, user)
    with transaction.atomic():
        if _is_last_active_admin(user):
            raise ValidationError({"role": LAST_ADMIN})
        user.is_active = False
        user.save(update_fields=["is_active"])
        _user_event("user.deactivated", user, actor)
    return user


def user_reactivate(*, actor: User, user: User) -> User:
    access.require_admin(actor)
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        _user_event("user.reactivated", user, actor)
    return user


# --- password reset -----------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Queue a reset mail if the address belongs to an active account.

    Answers the same way (returns None, quickly) whether or not it does: the
    mail itself is sent by the jobs worker, so neither the answer nor its
    timing tells callers which addresses have accounts.
    """
    try:
        email = normalise_email(email)
    except ValidationError:
        return
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    # At most one mail per address per interval, so the form cannot be used
    # to flood someone's inbox.
    if not once(f"accounts:reset-mail:{user.pk}", window_s=RESET_MAIL_INTERVAL_S):
        return
    enqueue_on_commit(tasks.send_password_reset, user.pk)


def password_reset_confirm(*, uidb64: str, token: str, password: str) -> User:
    user = selectors.user_from_reset_link(uidb64, token)
    if user is None:
        raise ValidationError({"token": "This reset link is invalid or has expired."})
    _check_password(password, user, field="new_password1")
    with transaction.atomic():
        # A new hash invalidates the token, so each link works once, and ends
        # every browser session. A reset is account recovery: whoever else
        # held the account loses its client apps and API keys too.
        user.set_password(password)
        user.save(update_fields=["password"])
        sign_ins = credentials.revoke_all_refresh_tokens(user)
        key_names = credentials.api_keys_revoke_all(user)
        enqueue_on_commit(tasks.send_credentials_revoked, user.pk, key_names, sign_ins)
        _user_event("user.password_reset", user, user)  # the event is the last write
    throttle.clear(email=user.email)
    return user


def user_set_gravatar(*, actor: User, user: User, enabled: bool) -> User:
    """Show the person's Gravatar instead of their initials (their choice:
    every viewer's browser then asks gravatar.com for it)."""
    _require_self_or_admin(actor, user)
    with transaction.atomic():
        user.use_gravatar = bool(enabled)
        user.save(update_fields=["use_gravatar"])
        _user_event("user.profile_updated", user, actor, email_changed=False)
    return user


def member_create_verified(*, email: str, name: str = "") -> User:
    """A member whose address a sign-in method has just proven (an emailed code,
    or a provider's verified email): no password; they sign in that way again.

    Runs inside the caller's transaction, so a failed sign-in leaves no account.
    """
    if not settings.SIGNUP_OPEN:
        raise PermissionDenied("Sign-up is closed on this board; ask an admin to invite you.")
    email = normalise_email(email)
    try:
        name = _clean_name(name)
    except ValidationError:
        name = " ".join(name.split())[:NAME_MAX]  # a long name is trimmed, not refused
    with transaction.atomic():
        _ensure_email_free(email)
        user = User(email=email, name=name, role=Role.MEMBER)
        user.set_unusable_password()
        user.save()
        _user_event("user.created", user, user, role=Role.MEMBER)
    return user
