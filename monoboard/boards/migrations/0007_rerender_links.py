"""Render stored posts and comments again, so addresses typed as plain text
become links and every link carries ``rel="nofollow ugc noopener"``."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from monoboard.lib.markdown import render_markdown

BATCH = 500


def rerender(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    db = schema_editor.connection.alias
    for name in ("Post", "Comment"):
        model = apps.get_model("boards", name)
        changed = []
        for row in model.objects.using(db).only("pk", "body", "body_html").iterator(BATCH):
            html = render_markdown(row.body)
            if html != row.body_html:
                row.body_html = html
                changed.append(row)
            if len(changed) >= BATCH:
                model.objects.using(db).bulk_update(changed, ["body_html"])
                changed = []
        model.objects.using(db).bulk_update(changed, ["body_html"])


class Migration(migrations.Migration):
    dependencies = [("boards", "0006_attachment")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop, elidable=True)]
