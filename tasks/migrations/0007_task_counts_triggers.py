"""Each owner's TaskCounts row is kept by the database itself, in the write's own statement.

Triggers on tasks_task move the counts for every insert, update and delete, whichever
door it came through: the ORM, bulk_create, queryset .update() and .delete(), COPY, raw
SQL. A create is then one INSERT, with no transaction opened around it for the counter.

- PostgreSQL: one statement-level trigger per operation, over its transition tables: a
  bulk write moves each owner's row once, and an update that moves no task between
  buckets (a title edit) writes nothing.
- SQLite (the defaults): row-level triggers, the only kind it has.

A missing counts row is never created here (a cascade may be deleting its owner): the
UPDATE finds nothing, and tasks.counts.counts_of counts that owner's rows instead.
"""

from django.db import migrations

STATUSES = ("todo", "in_progress", "done")


def _postgres_deltas(source: str, sign: str) -> str:
    buckets = ",\n".join(
        f"{sign}count(*) FILTER (WHERE archived_at IS NULL AND status = '{status}') AS {status}"
        for status in STATUSES
    )
    return (
        f"SELECT owner_id, {buckets},\n"
        f"{sign}count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived "
        f"FROM {source} GROUP BY owner_id"
    )


def _postgres_function(operation: str, sources: list[tuple[str, str]]) -> str:
    moved = "\nUNION ALL\n".join(_postgres_deltas(source, sign) for source, sign in sources)
    buckets = (*STATUSES, "archived")
    sums = ", ".join(f"sum({bucket}) AS {bucket}" for bucket in buckets)
    nonzero = " OR ".join(f"sum({bucket}) <> 0" for bucket in buckets)
    assignments = ", ".join(f"{bucket} = c.{bucket} + d.{bucket}" for bucket in buckets)
    return f"""
CREATE OR REPLACE FUNCTION tasks_counts_after_{operation}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks_taskcounts AS c SET {assignments}
    FROM (
        SELECT owner_id, {sums} FROM ({moved}) AS moves
        GROUP BY owner_id HAVING {nonzero}
    ) AS d
    WHERE c.owner_id = d.owner_id;
    RETURN NULL;
END;
$$;
"""


POSTGRES_OPERATIONS = {
    "insert": ("REFERENCING NEW TABLE AS new_rows", [("new_rows", "")]),
    "update": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [("new_rows", ""), ("old_rows", "-")],
    ),
    "delete": ("REFERENCING OLD TABLE AS old_rows", [("old_rows", "-")]),
}


def _sqlite_moves(row: str, sign: str) -> str:
    moves = [
        f"{status} = {status} {sign} ({row}.archived_at IS NULL AND {row}.status = '{status}')"
        for status in STATUSES
    ]
    moves.append(f"archived = archived {sign} ({row}.archived_at IS NOT NULL)")
    return f"UPDATE tasks_taskcounts SET {', '.join(moves)} WHERE owner_id = {row}.owner_id;"


SQLITE_TRIGGERS = {
    "insert": ("AFTER INSERT ON tasks_task", [("NEW", "+")]),
    "update": (
        "AFTER UPDATE OF status, archived_at, owner_id ON tasks_task"
        " WHEN OLD.status IS NOT NEW.status"
        " OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)"
        " OR OLD.owner_id IS NOT NEW.owner_id",
        [("OLD", "-"), ("NEW", "+")],
    ),
    "delete": ("AFTER DELETE ON tasks_task", [("OLD", "-")]),
}


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for operation, (transition, sources) in POSTGRES_OPERATIONS.items():
            schema_editor.execute(_postgres_function(operation, sources))
            schema_editor.execute(
                f"CREATE TRIGGER tasks_task_counts_{operation} AFTER {operation.upper()} "
                f"ON tasks_task {transition} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION tasks_counts_after_{operation}()"
            )
    elif vendor == "sqlite":
        for operation, (when, rows) in SQLITE_TRIGGERS.items():
            body = " ".join(_sqlite_moves(row, sign) for row, sign in rows)
            schema_editor.execute(
                f"CREATE TRIGGER tasks_task_counts_{operation} {when} BEGIN {body} END"
            )
    else:
        raise NotImplementedError(f"task counts triggers for {vendor}")


def remove(apps, schema_editor):
    for operation in POSTGRES_OPERATIONS:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS tasks_task_counts_{operation} ON tasks_task"
            )
            schema_editor.execute(f"DROP FUNCTION IF EXISTS tasks_counts_after_{operation}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS tasks_task_counts_{operation}")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0006_task_counts")]

    operations = [migrations.RunPython(install, remove)]
