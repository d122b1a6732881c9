"""Emails are sent by one ``send_email`` job each; give waiting emails theirs.

Before, a recurring job swept the outbox. Emails still pending (or caught
mid-send) when this runs get a job now, so an upgrade loses none of them.
"""

import uuid
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TASK_PATH = "monoboard.notifications.tasks.send_email"
WAITING = ("pending", "sending")


def queue_waiting_emails(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from django_tasks_db.models import get_date_max

    outbox: Any = apps.get_model("notifications", "OutboxEmail")
    jobs: Any = apps.get_model("django_tasks_database", "DBTaskResult")
    alias = schema_editor.connection.alias
    waiting = outbox.objects.using(alias).filter(state__in=WAITING).values_list("pk", flat=True)
    jobs.objects.using(alias).bulk_create(
        jobs(
            id=uuid.uuid4(),
            args_kwargs={"args": [pk], "kwargs": {}},
            priority=0,
            task_path=TASK_PATH,
            queue_name="default",
            run_after=get_date_max(),
            backend_name="default",
        )
        for pk in waiting.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_outbox_send_time_check"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(queue_waiting_emails, migrations.RunPython.noop)]
