"""`manage.py restore PATH`: replace the database with a file `manage.py backup` wrote.

PostgreSQL: `pg_restore --clean --if-exists --no-owner --no-privileges` in one transaction, so
a failed restore changes nothing. SQLite: the backup's pages copied over the live database
through SQLite's backup API. Either way every table ends up exactly as in the backup
(including django_migrations: run `manage.py migrate` afterwards if the code is newer).
"""

import sqlite3
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core.management.commands.backup import (
    POSTGRES_MAGIC,
    SQLITE_MAGIC,
    database_name,
    postgres_command,
    run,
    vendor_of,
)


class Command(BaseCommand):
    # A backup or restore must work in an emergency, even when a system check fails.
    requires_system_checks = []
    help = "Replace every table of the database with a backup file (asks first; --yes skips)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a file written by `manage.py backup`")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="do not ask for confirmation (required when stdin is not a terminal)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args, path, yes=False, database=DEFAULT_DB_ALIAS, **options):
        vendor = vendor_of(database)
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No backup file at {source}")
        with source.open("rb") as file:
            header = file.read(len(SQLITE_MAGIC))
        expected = POSTGRES_MAGIC if vendor == "postgresql" else SQLITE_MAGIC
        if not header.startswith(expected):
            raise CommandError(
                f"{source} is not a {vendor} backup from `manage.py backup`; "
                "a PostgreSQL dump restores only into PostgreSQL, a SQLite copy only into SQLite."
            )
        name = connections[database].settings_dict.get("NAME")
        if not yes:
            self.confirm(f"Replace every table of {vendor} database {name!r} with {source}?")
        if vendor == "postgresql":
            self.restore_postgres(database, source)
        else:
            self.restore_sqlite(database, source)
        self.stdout.write(self.style.SUCCESS(f"Restored {vendor} database {name!r} from {source}"))

    def confirm(self, question: str) -> None:
        if not sys.stdin.isatty():
            raise CommandError("Refusing to restore without --yes: stdin is not a terminal.")
        answer = input(f"{question} This cannot be undone. Type 'yes' to continue: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Restore cancelled; nothing changed.")

    def restore_postgres(self, alias: str, source: Path) -> None:
        connection = connections[alias]
        settings_dict = connection.settings_dict
        # Our own idle connection must not hold anything the DROPs wait for.
        connection.close()
        args, env = postgres_command("pg_restore", settings_dict)
        args += [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            database_name(settings_dict),
            str(source),
        ]
        run(args, env)

    def restore_sqlite(self, alias: str, source: Path) -> None:
        connection = connections[alias]
        connection.ensure_connection()
        backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            backup.backup(connection.connection)
        finally:
            backup.close()
