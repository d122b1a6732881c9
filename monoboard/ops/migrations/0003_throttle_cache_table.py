"""Create the database cache table behind CACHES["throttle"].

``createcachetable`` is idempotent and creates a table for every database
cache in CACHES, so ``migrate`` alone prepares a fresh clone.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps: Any, schema_editor: Any) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("ops", "0002_rollup_page_cache")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
