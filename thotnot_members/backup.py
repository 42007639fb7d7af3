"""Back up and restore the whole database, for `manage.py backup` and `manage.py restore`.

SQLite: SQLite's online backup API through Django's own connection, so a database in use (or the
in-memory test database) is copied consistently. PostgreSQL: `pg_dump --format=custom` and
`pg_restore --clean --if-exists --no-owner`, with the connection settings of the database
(the password goes through PGPASSWORD, never the command line). A file is written under a
temporary name and renamed when complete, so a failed backup never leaves half a file.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections

# The first bytes of each kind of backup file: restore refuses a file of the other vendor.
MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}


class BackupError(Exception):
    """A backup or restore that could not be done; the message is one line."""


def _vendor(connection) -> str:
    if connection.vendor not in MAGIC:
        raise BackupError(f"unsupported database vendor {connection.vendor!r}")
    return connection.vendor


def _partial(path: Path) -> Path:
    if not path.parent.is_dir():
        raise BackupError(f"no directory for {str(path)!r}")
    return path.with_name(f".{path.name}.partial")


def backup(path: Path, *, using: str = "default") -> str:
    """Write a backup of database ``using`` to ``path``; returns the vendor."""
    connection = connections[using]
    vendor = _vendor(connection)
    partial = _partial(path)
    try:
        if vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
                # The copy of a database in WAL mode is in WAL mode too; back to a rollback
                # journal, so that the backup is one self-contained file, which opens (to
                # restore it, read-only) without creating -wal and -shm files beside it.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        else:
            _run_pg("pg_dump", connection, "--format=custom", f"--file={partial}")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return vendor


def restore(path: Path, *, force: bool = False, using: str = "default") -> str:
    """Replace database ``using`` with the backup in ``path``; returns the vendor.

    Refuses a database that already has tables unless ``force``.
    """
    connection = connections[using]
    vendor = _vendor(connection)
    if not path.is_file():
        raise BackupError(f"no backup file {str(path)!r}")
    with path.open("rb") as f:
        head = f.read(16)
    if not head.startswith(MAGIC[vendor]):
        other = next((v for v, magic in MAGIC.items() if head.startswith(magic)), None)
        found = f"a {other} backup" if other else "not a backup this tool wrote"
        raise BackupError(f"{str(path)!r} is {found}; the database is {vendor}")
    if connection.in_atomic_block:
        raise BackupError("cannot restore inside a transaction")
    if not force and connection.introspection.table_names():
        raise BackupError(
            f"the database {connection.settings_dict['NAME']!s} is not empty; "
            "use --force to replace it"
        )
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"cannot restore {str(path)!r}: {error}") from None
        finally:
            source.close()
    else:
        connection.close()
        _run_pg(
            "pg_restore",
            connection,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(path),
        )
    connection.close()
    return vendor


def _run_pg(program: str, connection, *args: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} not found (install the PostgreSQL client)")
    settings = connection.settings_dict
    command = [executable, f"--dbname={settings['NAME']}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command.append(f"{option}={settings[key]}")
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    result = subprocess.run([*command, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{program} failed: {detail}")
