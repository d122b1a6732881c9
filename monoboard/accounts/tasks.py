"""Account emails, sent by the jobs worker rather than inside the request.

Sending in the background keeps the reset form's answer equally fast whether
or not the address has an account, and retries a mail server that hiccups.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string

from monoboard.accounts.models import User
from monoboard.accounts.selectors import password_reset_link
from monoboard.jobs import retry_policy


@retry_policy(max_attempts=4)
@task
def send_password_reset(user_id: int) -> None:
    """Mail a fresh reset link. Running twice sends two working links: harmless."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:  # deactivated or deleted since the request: nothing to do
        return
    context = {
        "user": user,
        "link": password_reset_link(user),
        "site_url": settings.SITE_URL,
        "valid_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
    }
    subject = render_to_string("accounts/email/password_reset_subject.txt", context)
    body = render_to_string("accounts/email/password_reset.txt", context)
    EmailMessage(" ".join(subject.split()), body, to=[user.email]).send()


def _send(user: User, template: str, extra: dict[str, object]) -> None:
    context = {"user": user, "site_url": settings.SITE_URL, **extra}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    body = render_to_string(f"accounts/email/{template}.txt", context)
    EmailMessage(" ".join(subject.split()), body, to=[user.email]).send()


@retry_policy(max_attempts=4)
@task
def send_signup_attempt(user_id: int) -> None:
    """Tell an account's owner that someone tried to sign up with their address."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    _send(user, "signup_attempt", {"reset_url": f"{settings.SITE_URL}/accounts/password-reset/"})


@retry_policy(max_attempts=4)
@task
def send_credentials_revoked(user_id: int, api_key_names: list[str], sign_ins: int) -> None:
    """After a password reset: say what was signed out and revoked."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    _send(
        user,
        "credentials_revoked",
        {"api_key_names": api_key_names, "key_count": len(api_key_names), "sign_ins": sign_ins},
    )
