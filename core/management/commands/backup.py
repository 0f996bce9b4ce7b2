"""`manage.py backup`: the whole database in one file, restored by `manage.py restore`.

PostgreSQL: `pg_dump --format=custom --no-owner` (needs a pg_dump whose major version is at
least the server's). SQLite: a byte copy through SQLite's online backup API, consistent while
the app keeps writing. The file is written next to its final name and renamed when complete,
so an interrupted backup never looks like a good one. See docs/backups.md.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.client import DatabaseClient

POSTGRES_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
SUFFIXES = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}


def postgres_command(program: str, settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """A PostgreSQL client program with the connection flags and environment for an alias.

    The password goes in PGPASSWORD (with any sslmode, service, passfile as PG* variables),
    never on the command line, where `ps` would show it to every user of the machine.
    """
    binary = shutil.which(program)
    if binary is None:
        raise CommandError(
            f"{program} was not found on PATH: install the PostgreSQL client tools "
            "(the same major version as the server)."
        )
    args = [binary, "--no-password"]  # fail rather than wait for a prompt
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [flag, str(settings_dict[key])]
    # Django's dbshell knows which OPTIONS map to libpq variables; reuse only its environment.
    _, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    return args, {**os.environ, **(env or {})}


def database_name(settings_dict: dict) -> str:
    """The --dbname value: NAME, else the OPTIONS service (as dbshell connects), else postgres."""
    if settings_dict.get("NAME"):
        return str(settings_dict["NAME"])
    service = settings_dict.get("OPTIONS", {}).get("service")
    return f"service={service}" if service else "postgres"


def run(args: list[str], env: dict[str, str]) -> None:
    # A program found on PATH with fixed flags; the only inputs are settings and a file path.
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(f"{Path(args[0]).name} failed:\n{result.stderr.strip()}")


def vendor_of(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in SUFFIXES:
        raise CommandError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


class Command(BaseCommand):
    # A backup or restore must work in an emergency, even when a system check fails.
    requires_system_checks = []
    help = (
        "Write the whole database to one file: pg_dump's custom format on PostgreSQL, a "
        "SQLite copy on SQLite. Restore it with `manage.py restore PATH`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="file to write (default: taskflow-<UTC time>.pgdump or .sqlite3 here)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args, output=None, database=DEFAULT_DB_ALIAS, **options):
        vendor = vendor_of(database)
        if output:
            path = Path(output)
        else:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            path = Path(f"taskflow-{stamp}{SUFFIXES[vendor]}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            if vendor == "postgresql":
                self.dump_postgres(database, partial)
            else:
                self.copy_sqlite(database, partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Backed up {vendor} to {path} ({size:,} bytes)"))

    def dump_postgres(self, alias: str, path: Path) -> None:
        settings_dict = connections[alias].settings_dict
        args, env = postgres_command("pg_dump", settings_dict)
        args += ["--format=custom", "--no-owner", "--file", str(path)]
        args += ["--dbname", database_name(settings_dict)]
        run(args, env)

    def copy_sqlite(self, alias: str, path: Path) -> None:
        connection = connections[alias]
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            # Pages are copied from one consistent snapshot, even while others write.
            connection.connection.backup(target)
        finally:
            target.close()
