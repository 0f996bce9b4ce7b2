"""ordering=-due_date: (owner, due_date DESC NULLS LAST, id DESC), on PostgreSQL only.

SQLite cannot create an index with NULLS LAST, so the index is not in Task.Meta.indexes.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS task_owner_due_desc "
    "ON tasks_task (owner_id, due_date DESC NULLS LAST, id DESC)"
)
DROP = "DROP INDEX IF EXISTS task_owner_due_desc"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tasks", "0004_reminder_log")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
