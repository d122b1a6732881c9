"""PostgreSQL only: a trigger that NOTIFYs workers when a task becomes ready.

``pg_notify('monoboard_jobs', queue_name)`` runs when a row is inserted
ready to run now (``run_after`` unset or past), or when an existing row goes
back to READY ready to run now (a shutting-down worker releasing it, an
admin's retry). NOTIFY is transactional: listeners hear it only when the
inserting transaction commits, so ``enqueue_on_commit`` (which writes the
row in the caller's transaction) wakes workers exactly when the row becomes
visible. Deferred tasks and retries with a backoff send nothing: the
workers' polling picks them up when due. SQLite: nothing (workers poll).
"""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CHANNEL = "monoboard_jobs"
FUNCTION = "monoboard_jobs_notify"
TRIGGERS = ("monoboard_jobs_notify_insert", "monoboard_jobs_notify_ready")
# get_date_max(): django-tasks-db's "no run_after" value.
READY_NOW = (
    "NEW.status = 'READY' AND (NEW.run_after = '9999-01-01 00:00:00+00' OR NEW.run_after <= now())"
)


def _table(apps: StateApps) -> str:
    model: Any = apps.get_model("django_tasks_database", "DBTaskResult")
    return str(model._meta.db_table)


def create_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', NEW.queue_name);
            RETURN NULL;
        END
        $$
        """
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON {table} "
        f"FOR EACH ROW WHEN ({READY_NOW}) EXECUTE FUNCTION {FUNCTION}()"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE OF status ON {table} "
        f"FOR EACH ROW WHEN (OLD.status <> 'READY' AND {READY_NOW}) "
        f"EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    for trigger in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
