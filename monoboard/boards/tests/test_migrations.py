"""`migrate --database <alias>` seeds the statuses in that database.

Only the boards app and what it depends on are migrated: django-tasks-db's
own data migration 0016 still writes to the default database whatever
``--database`` says (RealOrangeOne/django-tasks-db#16), which is why
``copysite`` migrates its target in a child process instead.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from monoboard.boards.models import SiteSettings, Status
from monoboard.lib.database import sqlite_database
from monoboard.ops.sitecopy import database_alias

pytestmark = pytest.mark.slow


def test_migrate_into_a_second_database_seeds_its_statuses(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    config = sqlite_database(tmp_path / "second.sqlite3", busy_timeout_s=5)
    with django_db_blocker.unblock(), database_alias("second", config) as alias:
        call_command("migrate", "boards", database=alias, verbosity=0, stdout=StringIO())
        slugs = list(
            Status.objects.using(alias).order_by("position").values_list("slug", flat=True)
        )
        assert slugs == ["open", "planned", "in-progress", "done", "declined"]
        assert Status.objects.using(alias).filter(is_default=True).count() == 1
        assert SiteSettings.objects.using(alias).filter(pk=1).exists()
