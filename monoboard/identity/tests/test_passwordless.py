"""Sign-in by an emailed link or six-digit code, through the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monoboard.accounts.models import User
from monoboard.identity.models import EmailChallenge
from monoboard.jobs.worker import Worker, WorkerConfig
from monoboard.notifications.models import OutboxEmail

REQUEST = reverse("identity:email_request")
CODE = reverse("identity:email_code")


def run_jobs() -> int:
    """Run queued background jobs in this thread, as the worker would."""
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="identity-test")
    ran = 0
    while ran < 20 and worker.work_once():
        ran += 1
    return ran


def ask(browser: Client, email: str, **extra: str) -> Any:
    return browser.post(REQUEST, {"email": email, **extra})


def last_mail(mailoutbox: list[EmailMessage], to: str) -> EmailMessage:
    run_jobs()
    mine = [m for m in mailoutbox if m.to == [to]]
    assert mine, [m.to for m in mailoutbox]
    return mine[-1]


def code_and_link(message: EmailMessage) -> tuple[str, str]:
    code = re.search(r"Your code: (\d{6})", str(message.body))
    link = re.search(r"https?://\S+(/accounts/email/\S+/\S+/)", str(message.body))
    assert code and link, message.body
    return code.group(1), link.group(1)


def signed_in_as(browser: Client) -> str | None:
    user = browser.get(reverse("accounts:profile")).context
    if user is None or "me" not in user:
        return None
    return str(user["me"].email)


def test_code_signs_in_once(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    answer = ask(outsider_client, member.email.upper(), next="/accounts/profile/")
    assert answer.status_code == 302 and answer["Location"] == CODE
    page = outsider_client.get(CODE)
    assert member.email in page.content.decode()
    code, _ = code_and_link(last_mail(mailoutbox, member.email))
    signed = outsider_client.post(CODE, {"code": f"{code[:3]} {code[3:]}"})
    assert signed.status_code == 302 and signed["Location"] == "/accounts/profile/"
    assert signed_in_as(outsider_client) == member.email
    # Once: the emailed link of the same sign-in no longer works, even here.
    _, link = code_and_link(last_mail(mailoutbox, member.email))
    used = outsider_client.get(link)
    assert used.status_code == 400
    assert "expired or was already used" in used.content.decode()


def test_link_works_only_in_the_browser_that_asked(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    ask(outsider_client, member.email)
    _, link = code_and_link(last_mail(mailoutbox, member.email))
    stranger = Client()
    refused = stranger.get(link)
    assert refused.status_code == 400
    assert "only in the browser where the sign-in was asked for" in refused.content.decode()
    assert signed_in_as(stranger) is None
    # The stranger's try used nothing up: the browser that asked still gets in.
    assert outsider_client.get(link).status_code == 302
    assert signed_in_as(outsider_client) == member.email
    # And only once.
    assert outsider_client.get(link).status_code == 400


def test_code_after_the_link_is_refused(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    ask(outsider_client, member.email)
    code, link = code_and_link(last_mail(mailoutbox, member.email))
    # A second request from the same browser: its code page is the current one.
    ask(outsider_client, member.email)
    assert outsider_client.get(link).status_code == 302  # the first mail's link
    ask(outsider_client, member.email)
    session = outsider_client.session
    first = EmailChallenge.objects.order_by("pk").first()
    assert first is not None
    session["identity.challenge"] = {"id": first.public_id, "email": member.email}
    session.save()
    answer = outsider_client.post(CODE, {"code": code})
    assert answer.status_code == 400
    assert "expired or was already used" in answer.content.decode()


def test_new_address_signs_up_when_sign_up_is_open(
    outsider_client: Client, admin: User, mailoutbox: list[EmailMessage]
) -> None:
    ask(outsider_client, "new.person@example.org")
    assert not User.objects.filter(email="new.person@example.org").exists()  # not before the code
    message = last_mail(mailoutbox, "new.person@example.org")
    assert "create an account" in str(message.body)
    code, _ = code_and_link(message)
    assert outsider_client.post(CODE, {"code": code}).status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert not user.has_usable_password()
    assert signed_in_as(outsider_client) == user.email


def test_unknown_address_with_sign_up_closed_gets_a_no_account_mail(
    outsider_client: Client, admin: User, mailoutbox: list[EmailMessage], settings: Any
) -> None:
    settings.SIGNUP_OPEN = False
    answer = ask(outsider_client, "stranger@example.org")
    assert answer.status_code == 302 and answer["Location"] == CODE
    message = last_mail(mailoutbox, "stranger@example.org")
    assert "no active account here" in str(message.body)
    assert not re.search(r"\d{6}", str(message.body))
    for guess in ("000000", "123456"):
        assert outsider_client.post(CODE, {"code": guess}).status_code == 400
    assert not User.objects.filter(email="stranger@example.org").exists()


@pytest.mark.parametrize("sign_up_open", [True, False])
def test_answers_do_not_tell_which_addresses_have_accounts(
    member: User, mailoutbox: list[EmailMessage], settings: Any, sign_up_open: bool
) -> None:
    settings.SIGNUP_OPEN = sign_up_open
    answers = []
    for email in (member.email, "nobody@example.org"):
        browser = Client()
        with CaptureQueriesContext(connection) as queries:
            answer = ask(browser, email)
        page = browser.get(CODE).content.decode().replace(email, "EMAIL")
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        answers.append((answer.status_code, answer["Location"], len(queries), page))
    assert answers[0] == answers[1]
    assert OutboxEmail.objects.count() == 2  # both addresses get a mail


def test_only_hashes_are_stored(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    ask(outsider_client, member.email)
    message = last_mail(mailoutbox, member.email)
    code, link = code_and_link(message)
    assert code not in message.subject  # the delivery page shows admins subjects
    secret = link.rstrip("/").rsplit("/", 1)[1]
    row = EmailChallenge.objects.values().get()
    stored = " ".join(str(value) for value in row.values())
    assert code not in stored and secret not in stored
    assert outsider_client.session["identity.browser_nonce"] not in stored


def test_expired_code_is_refused(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    ask(outsider_client, member.email)
    code, _ = code_and_link(last_mail(mailoutbox, member.email))
    EmailChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = outsider_client.post(CODE, {"code": code})
    assert answer.status_code == 400
    assert "expired or was already used" in answer.content.decode()
    assert signed_in_as(outsider_client) is None


def test_wrong_codes_end_the_challenge_and_hit_the_throttle(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage], settings: Any
) -> None:
    settings.SIGNIN_MAX_FAILURES = 7
    ask(outsider_client, member.email)
    code, _ = code_and_link(last_mail(mailoutbox, member.email))
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        answer = outsider_client.post(CODE, {"code": wrong})
        assert answer.status_code == 400
        assert "That code is not right" in answer.content.decode()
    # Five wrong tries: even the right code no longer works.
    assert outsider_client.post(CODE, {"code": code}).status_code == 400
    ask(outsider_client, member.email)
    fresh, _ = code_and_link(last_mail(mailoutbox, member.email))
    outsider_client.post(CODE, {"code": wrong})  # the seventh failure for this address
    answer = outsider_client.post(CODE, {"code": fresh})
    assert answer.status_code == 429
    assert "Too many failed sign-in attempts" in answer.content.decode()
    assert signed_in_as(outsider_client) is None


def test_too_many_mails_for_one_address(outsider_client: Client, member: User) -> None:
    for _ in range(5):
        assert ask(outsider_client, member.email).status_code == 302
    answer = ask(outsider_client, member.email)
    assert answer.status_code == 429
    assert "Too many sign-in emails" in answer.content.decode()


def test_deactivated_account_gets_no_working_code(
    outsider_client: Client, member: User, mailoutbox: list[EmailMessage]
) -> None:
    member.is_active = False
    member.save()
    ask(outsider_client, member.email)
    message = last_mail(mailoutbox, member.email)
    assert "no active account here" in str(message.body)
    assert outsider_client.post(CODE, {"code": "123456"}).status_code == 400
    assert signed_in_as(outsider_client) is None


def test_bad_input_is_explained(outsider_client: Client, admin: User) -> None:
    answer = ask(outsider_client, "not an address")
    assert answer.status_code == 400
    assert "Enter a valid email address" in answer.content.decode()
    ask(outsider_client, "someone@example.org")
    answer = outsider_client.post(CODE, {"code": "12ab"})
    assert answer.status_code == 400
    assert "Enter the six digits" in answer.content.decode()


def test_turned_off(outsider_client: Client, admin: User, settings: Any) -> None:
    settings.PASSWORDLESS_SIGNIN = False
    assert outsider_client.get(REQUEST).status_code == 404
    assert (
        "Email me a sign-in code"
        not in outsider_client.get(reverse("accounts:signin")).content.decode()
    )
