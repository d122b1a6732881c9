"""The stream now reads the durable event log in ``core``; this table goes.

Its rows are copied with their ids first, and the new log's id sequence is
moved past them, so a browser reconnecting with an old Last-Event-ID neither
replays nor misses anything. Consumers start at the log's end (see
``core.consumers.start_new_consumers``), so the copied rows are not acted on
again.
"""

from typing import Any

from django.core.management.color import no_style
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BATCH = 1000


def copy_rows(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    old: Any = apps.get_model("realtime", "Event")
    new: Any = apps.get_model("core", "Event")
    alias = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(old.objects.using(alias).filter(id__gt=last).order_by("id")[:BATCH])
        if not rows:
            break
        new.objects.using(alias).bulk_create(
            new(
                id=row.id,
                kind=row.kind,
                board_id=row.board_id,
                post_id=row.post_id,
                actor_id=row.actor_id,
                data=row.payload,
                created_at=row.created_at,
            )
            for row in rows
        )
        last = rows[-1].id
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [new]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("realtime", "0001_initial"), ("core", "0001_initial")]

    operations = [
        migrations.RunPython(copy_rows, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="Event"),
    ]
