"""`manage.py backup` and `manage.py restore`: every row comes back, on PostgreSQL and SQLite."""

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.management.commands.backup import postgres_command

ROOT = Path(__file__).resolve().parent.parent


def seed(prefix: str = "backup") -> None:
    """Users with tags, tasks (tagged, some done) and notes (on tasks, tagged)."""
    from accounts.models import User
    from tasks.models import Note, Tag, Task

    for number in range(3):
        user = User.objects.create_user(
            email=f"{prefix}{number}@example.com",
            password="a-long-passphrase-42",
            full_name=f"Backup User {number}",
            timezone="Europe/Paris",
        )
        tags = [Tag.objects.create(owner=user, name=f"tag {n}") for n in range(2)]
        for index in range(4):
            task = Task.objects.create(
                owner=user,
                title=f"Restored task {number}-{index}",
                description="Ünïcode survives: ✓ — “quotes”",
                status=Task.Status.DONE if index % 2 else Task.Status.TODO,
                priority=Task.Priority.HIGH,
                due_date=date(2030, 1, index + 1),
            )
            task.tags.set(tags[: index % 3])
            note = Note.objects.create(owner=user, title=f"Note {index}", body="b", task=task)
            note.tags.set(tags[:1])


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table Django manages (many-to-many tables included), by model."""
    from django.apps import apps

    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        tables[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return tables


def snapshot_json() -> str:
    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps(snapshot(), cls=DjangoJSONEncoder, sort_keys=True)


def app_rows(tables: dict) -> dict[str, int]:
    labels = ("accounts.User", "tasks.Tag", "tasks.Task", "tasks.Note", "tasks.Task_tags")
    return {label: len(tables[label]) for label in labels}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_round_trip_restores_every_row(tmp_path):
    from django.contrib.contenttypes.models import ContentType

    from tasks.models import Task

    seed()
    before = snapshot()
    assert app_rows(before) == {
        "accounts.User": 3,
        "tasks.Tag": 6,
        "tasks.Task": 12,
        "tasks.Note": 12,
        "tasks.Task_tags": 3 * (0 + 1 + 2 + 0),
    }
    dump = tmp_path / "taskflow.pgdump"

    call_command("backup", output=str(dump), verbosity=0)
    assert dump.read_bytes().startswith(b"PGDMP")
    assert not dump.with_name(dump.name + ".partial").exists()

    call_command("flush", interactive=False, verbosity=0)
    assert set(app_rows(snapshot()).values()) == {0}

    call_command("restore", str(dump), yes=True, verbosity=0)
    ContentType.objects.clear_cache()

    after = snapshot()
    assert after == before  # every row of every table, every field
    task = Task.objects.get(title="Restored task 2-2")
    assert task.description == "Ünïcode survives: ✓ — “quotes”"
    assert task.due_date == date(2030, 1, 3)
    assert sorted(task.tags.values_list("name", flat=True)) == ["tag 0", "tag 1"]
    assert task.notes.get().tags.get().name == "tag 0"
    # The schema objects came back too: sequences continue after the restored ids, and the
    # full-text trigger (migration tasks 0002) fills the search vector of new rows.
    new = Task.objects.create(owner=task.owner, title="Written after the restore")
    assert new.pk > max(row["id"] for row in before["tasks.Task"])
    assert Task.objects.filter(pk=new.pk, search_vector__isnull=False).exists()


@pytest.mark.postgres
def test_postgres_password_travels_in_the_environment_only(monkeypatch, tmp_path, settings):
    from core.management.commands import backup

    calls = []

    def fake_run(args, env, **kwargs):
        calls.append((args, env))
        Path(args[args.index("--file") + 1]).write_bytes(b"PGDMP fake")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret-Passw0rd")
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {"sslmode": "require"})

    call_command("backup", output=str(tmp_path / "x.pgdump"), verbosity=0)

    [(args, env)] = calls
    assert not any("s3cret" in arg for arg in args)
    assert env["PGPASSWORD"] == "s3cret-Passw0rd"
    assert env["PGSSLMODE"] == "require"
    assert {"--format=custom", "--no-owner", "--no-password"} <= set(args)


def manage(*args: str, database_url: str, stdin: str | None = None):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sqlite_round_trip_restores_every_row(tmp_path):
    """Runs everywhere: a SQLite database file driven through manage.py, as an operator would."""
    url = f"sqlite:///{tmp_path / 'taskflow.sqlite3'}"
    backup_file = tmp_path / "backups" / "taskflow.sqlite3"

    def ok(*args, stdin=None):
        result = manage(*args, database_url=url, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def rows():
        return json.loads(
            ok(
                "shell",
                "-v0",
                "-c",
                "from tests.test_backup_restore import snapshot_json; print(snapshot_json())",
            )
        )

    ok("migrate", "--noinput", "-v0")
    ok("shell", "-v0", "-c", "from tests.test_backup_restore import seed; seed()")
    before = rows()
    assert app_rows(before)["tasks.Task"] == 12

    assert "Backed up sqlite" in ok("backup", "--output", str(backup_file))
    assert backup_file.read_bytes().startswith(b"SQLite format 3\x00")

    ok("flush", "--noinput")
    assert set(app_rows(rows()).values()) == {0}

    # Without --yes and without a terminal, restore refuses and changes nothing.
    refused = manage("restore", str(backup_file), database_url=url, stdin="yes\n")
    assert refused.returncode != 0
    assert "--yes" in refused.stderr
    assert set(app_rows(rows()).values()) == {0}

    assert "Restored sqlite" in ok("restore", str(backup_file), "--yes")
    assert rows() == before


@pytest.mark.django_db
def test_restore_refuses_without_yes_when_stdin_is_not_a_terminal(tmp_path):
    backup_file = tmp_path / "any.backup"
    backup_file.write_bytes(b"PGDMP" if connection.vendor == "postgresql" else b"SQLite format 3\0")
    # pytest's stdin is not a terminal, like cron's or a CI job's.
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup_file))


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup_of_this_engine(tmp_path):
    other = tmp_path / "other.backup"
    other.write_bytes(b"SQLite format 3\0" if connection.vendor == "postgresql" else b"PGDMP")
    with pytest.raises(CommandError, match="is not a"):
        call_command("restore", str(other), yes=True)
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "missing"), yes=True)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_restore_drill_uses_the_servers_major_version_of_pg_restore():
    # The image pins Debian 12 for this (Dockerfile): a newer client's dump settings
    # (pg_restore 17's transaction_timeout) fail against an older server.
    # The binary `manage.py restore` runs (the same lookup), asked for its version only.
    args, _ = postgres_command("pg_restore", connection.settings_dict)
    client = subprocess.run([args[0], "--version"], capture_output=True, text=True, check=True)
    client_major = int(re.search(r"(\d+)\.", client.stdout)[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    assert client_major == server_major
