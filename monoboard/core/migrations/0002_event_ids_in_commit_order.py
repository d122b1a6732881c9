"""PostgreSQL only: number events in commit order, and wake listeners on commit.

A sequence hands out ids when rows are inserted, but transactions commit in
another order: a reader tailing ``id > last_seen`` could pass id 7 while the
transaction holding id 6 is still open, and never see 6. This trigger takes a
transaction-scoped advisory lock *before* it draws the id, so appends are
serialised from the event's insert to its writer's commit: the next id is
drawn only after the previous event's transaction has ended. Services emit as
their last write, so the lock is held only for the commit itself.

The wake-up NOTIFY is not sent from here: a NOTIFY inside the transaction
takes PostgreSQL's notification lock at commit, a second queue that every
write would pass through; ``emit()`` sends it right after the commit
instead. SQLite needs none of this (writers are serialised; readers poll).
"""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FUNCTION = "monoboard_event_append"
TRIGGER = "monoboard_event_append"
#: The advisory lock key shared by every appender ("mbev" in ASCII).
LOCK_KEY = 0x6D626576


def _table(apps: StateApps) -> str:
    model: Any = apps.get_model("core", "Event")
    return str(model._meta.db_table)


def create_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = _table(apps)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({LOCK_KEY});
            NEW.id := nextval(pg_get_serial_sequence('{table}', 'id'));
            RETURN NEW;
        END
        $$
        """
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {schema_editor.quote_name(table)} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    # After the old stream log was copied in with its own ids (realtime 0002).
    dependencies = [("core", "0001_initial"), ("realtime", "0002_event_log_moves_to_core")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
