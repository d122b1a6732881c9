from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import PASSWORD
from monoboard.accounts.models import User
from monoboard.jobs.worker import Worker, WorkerConfig

RESET = reverse("accounts:reset_request")


def run_jobs() -> int:
    """Run queued background jobs in this thread, as the worker would."""
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="accounts-test")
    ran = 0
    while ran < 20 and worker.work_once():
        ran += 1
    return ran


NEW_PASSWORD = "a brand new lantern"


def link_in(message: EmailMessage, site_url: str) -> str:
    found = re.search(re.escape(site_url) + r"(/accounts/password-reset/\S+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def test_reset_end_to_end(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage], settings: Any
) -> None:
    settings.SITE_URL = "https://feedback.example.com"
    response = outsider_client.post(RESET, {"email": "MEM@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:reset_sent")
    assert b"Check your email" in outsider_client.get(response["Location"]).content

    assert mailoutbox == []  # sent by the worker, not in the request
    assert run_jobs() == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    assert "Reset your password" in message.subject
    path = link_in(message, settings.SITE_URL)

    form_page = outsider_client.get(path)
    assert form_page.status_code == 200
    assert b"Choose a new password" in form_page.content

    mismatch = outsider_client.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": "something else"}
    )
    assert mismatch.context["form"].errors["new_password2"] == ["The two passwords differ."]

    done = outsider_client.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:signin")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)

    # The link works once.
    again = outsider_client.get(path)
    assert again.status_code == 400
    assert b"This link no longer works" in again.content

    signin = outsider_client.post(
        reverse("accounts:signin"), {"email": member.email, "password": NEW_PASSWORD}
    )
    assert signin.status_code == 302


def test_unknown_and_known_addresses_get_the_same_answer(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    known = outsider_client.post(RESET, {"email": member.email})
    unknown = outsider_client.post(RESET, {"email": "nobody@example.com"})
    assert run_jobs() == 1
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mailoutbox] == [[member.email]]


def test_deactivated_account_gets_no_mail(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    member.is_active = False
    member.save()
    response = outsider_client.post(RESET, {"email": member.email})
    assert response.status_code == 302
    assert run_jobs() == 0
    assert mailoutbox == []


def test_account_deactivated_before_the_mail_goes_gets_none(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    outsider_client.post(RESET, {"email": member.email})
    member.is_active = False
    member.save()
    assert run_jobs() == 1
    assert mailoutbox == []


def _path(uidb64: str, token: str) -> str:
    return reverse("accounts:reset_confirm", kwargs={"uidb64": uidb64, "token": token})


def test_tampered_link_is_refused(
    outsider_client: Client, member: User, other_member: User
) -> None:
    token = default_token_generator.make_token(member)
    other_uid = urlsafe_base64_encode(force_bytes(other_member.pk))
    for path in (
        _path(other_uid, token),
        _path(urlsafe_base64_encode(force_bytes(member.pk)), token[:-2] + "zz"),
        _path("not-base64!", token),
    ):
        response = outsider_client.get(path)
        assert response.status_code == 400, path
        assert b"Ask for a new link" in response.content
        posted = outsider_client.post(
            path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        assert posted.status_code == 400
    member.refresh_from_db()
    other_member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert other_member.check_password(PASSWORD)


class IssuedEarlier(PasswordResetTokenGenerator):
    """Issues tokens as if it were ``hours_ago`` hours ago."""

    def __init__(self, hours_ago: float) -> None:
        super().__init__()
        self.hours_ago = hours_ago

    def _now(self) -> datetime:
        return super()._now() - timedelta(hours=self.hours_ago)


def test_expired_link_is_refused(outsider_client: Client, member: User, settings: Any) -> None:
    settings.PASSWORD_RESET_TIMEOUT = 3 * 3600
    uid = urlsafe_base64_encode(force_bytes(member.pk))
    expired = IssuedEarlier(hours_ago=3.1).make_token(member)
    response = outsider_client.get(_path(uid, expired))
    assert response.status_code == 400
    assert b"This link no longer works" in response.content
    still_good = IssuedEarlier(hours_ago=2.9).make_token(member)
    assert outsider_client.get(_path(uid, still_good)).status_code == 200


def test_one_mail_per_address_per_minute(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    for _ in range(3):
        assert outsider_client.post(RESET, {"email": member.email}).status_code == 302
    assert run_jobs() == 1
    assert len(mailoutbox) == 1
