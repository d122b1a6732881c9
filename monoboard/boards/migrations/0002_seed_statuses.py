"""Seed the five statuses every new site starts with, and the site row."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

STATUSES = [
    # name, slug, colour, on roadmap, closed, default
    ("Open", "open", "#6b7280", False, False, True),
    ("Planned", "planned", "#7c3aed", True, False, False),
    ("In progress", "in-progress", "#d97706", True, False, False),
    ("Done", "done", "#16a34a", True, True, False),
    ("Declined", "declined", "#dc2626", False, True, False),
]


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Status = apps.get_model("boards", "Status")
    SiteSettings = apps.get_model("boards", "SiteSettings")
    db = schema_editor.connection.alias  # honour `migrate --database`
    for position, (name, slug, color, roadmap, closed, default) in enumerate(STATUSES):
        Status.objects.using(db).get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "color": color,
                "position": position,
                "on_roadmap": roadmap,
                "is_closed": closed,
                "is_default": default,
            },
        )
    SiteSettings.objects.using(db).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("boards", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
