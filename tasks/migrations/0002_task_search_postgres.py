"""Full-text search on PostgreSQL: a trigger keeps tasks_task.search_vector current and a
GIN index on (owner_id, search_vector) answers owner-scoped searches. Nothing on SQLite,
which searches with a plain contains-match instead."""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION tasks_task_search_vector_update() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(NEW.description, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER tasks_task_search_vector_trigger
    BEFORE INSERT OR UPDATE OF title, description ON tasks_task
    FOR EACH ROW EXECUTE FUNCTION tasks_task_search_vector_update();

UPDATE tasks_task SET title = title;

CREATE INDEX task_owner_search ON tasks_task USING gin (owner_id, search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS task_owner_search;
DROP TRIGGER IF EXISTS tasks_task_search_vector_trigger ON tasks_task;
DROP FUNCTION IF EXISTS tasks_task_search_vector_update();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [
        BtreeGinExtension(),  # no-op off PostgreSQL
        migrations.RunPython(forward, backward),
    ]
