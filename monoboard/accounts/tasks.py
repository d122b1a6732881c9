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
