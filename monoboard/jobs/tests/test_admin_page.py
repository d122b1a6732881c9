"""The admins' jobs page: who may see it, what it shows, retry over POST."""

from __future__ import annotations

import pytest
from django.tasks import TaskResultStatus
from django.test import Client
from django_tasks_db.models import DBTaskResult

from monoboard.accounts.models import User
from monoboard.jobs.queue import Row
from monoboard.jobs.tests import tasks
from monoboard.jobs.worker import Worker, WorkerConfig

pytestmark = pytest.mark.django_db
URL = "/jobs/admin/"


@pytest.fixture
def failed_job(db: None) -> Row:
    result = tasks.always_fails.enqueue("disk full")
    worker = Worker(WorkerConfig(queues=["*"]), worker_id="w1")
    while worker.work_once():
        pass
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.FAILED
    return row


def retry_url(row: Row) -> str:
    return f"/jobs/admin/{row.id}/retry/"


def test_admin_sees_the_failed_job_with_its_error_arguments_and_attempts(
    admin_client: Client, failed_job: Row
) -> None:
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "always_fails" in html
    assert "disk full" in html  # in the arguments and in the traceback
    assert "builtins.RuntimeError" in html
    assert '<td class="jobs-num" data-testid="attempts">3</td>' in html
    assert retry_url(failed_job) in html


def test_admin_retries_a_failed_job_and_it_runs_again(admin: User, failed_job: Row) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    page = client.get(URL)
    token = page.context["csrf_token"]
    response = client.post(retry_url(failed_job), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    failed_job.refresh_from_db()
    assert failed_job.status == TaskResultStatus.READY
    assert failed_job.worker_ids == []
    assert Worker(WorkerConfig(queues=["*"]), worker_id="w2").work_once()
    failed_job.refresh_from_db()
    assert failed_job.worker_ids == ["w2"]
    follow = client.get(URL)
    assert retry_url(failed_job) not in follow.content.decode()


def test_retry_without_csrf_token_is_refused(admin: User, failed_job: Row) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(retry_url(failed_job)).status_code == 403
    failed_job.refresh_from_db()
    assert failed_job.status == TaskResultStatus.FAILED


def test_retry_of_a_job_that_is_not_failed_changes_nothing(
    admin_client: Client, failed_job: Row
) -> None:
    admin_client.post(retry_url(failed_job))
    response = admin_client.post(retry_url(failed_job), follow=True)
    assert "not failed" in response.content.decode()
    assert admin_client.post("/jobs/admin/not-a-uuid/retry/").status_code == 404


def test_retry_needs_post(admin_client: Client, failed_job: Row) -> None:
    assert admin_client.get(retry_url(failed_job)).status_code == 405


def test_members_and_moderators_are_forbidden(
    member_client: Client, moderator_client: Client, failed_job: Row
) -> None:
    for client in (member_client, moderator_client):
        assert client.get(URL).status_code == 403
        assert client.post(retry_url(failed_job)).status_code == 403
    failed_job.refresh_from_db()
    assert failed_job.status == TaskResultStatus.FAILED


def test_visitors_are_sent_to_sign_in(outsider_client: Client, failed_job: Row) -> None:
    response = outsider_client.get(URL)
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]
    assert outsider_client.post(retry_url(failed_job)).status_code == 302
    failed_job.refresh_from_db()
    assert failed_job.status == TaskResultStatus.FAILED
