"""A backup restored into an empty database gives the same report as the database it came from.

The restore and the report run in subprocesses against their own database (DATABASE_URL), so
the test database is never touched. Transactional tests: the backup must see committed rows.
"""

import datetime
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from members.models import Event
from members.services import member_remove
from reports.figures import unit_figures
from tests.conftest import admit, admit_official, d, make_decision

PERIOD = ["--from", "01/01/2020", "--to", "31/12/2023"]


def build_history(tree) -> None:
    for on in (d("2020-03-02"), d("2021-06-15")):
        admit_official(tree.cell_a, on)
    admit_official(tree.gcell, d("2020-09-09"))
    probationary = admit(tree.cell_b, d("2022-04-01"))
    struck = admit_official(tree.cell_b, d("2020-05-05"))
    member_remove(
        member=struck,
        kind=Event.Kind.STRUCK_OFF,
        reason=Event.Reason.UNPAID_DUES,
        effective_date=d("2023-02-01"),
        decision=make_decision(d("2023-02-01")),
    )
    member_remove(
        member=probationary,
        kind=Event.Kind.DISCHARGED,
        reason=Event.Reason.ON_REQUEST,
        effective_date=d("2023-03-01"),
        decision=make_decision(d("2023-03-01")),
    )


def source_figures(unit) -> dict:
    figures = unit_figures(unit, datetime.date(2020, 1, 1), datetime.date(2023, 12, 31))
    return json.loads(json.dumps(figures.as_dict(), ensure_ascii=False))


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def restored_figures(database_url: str, backup: Path) -> dict:
    restored = manage(database_url, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("Restored the ")
    report = manage(database_url, "directive28_report", "--unit", "thot-not", *PERIOD)
    assert report.returncode == 0, report.stderr
    return json.loads(report.stdout)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file backup")
def test_sqlite_backup_restores_the_same_figures(transactional_db, tree, tmp_path):
    build_history(tree)
    expected = source_figures(tree.root)
    assert expected["admitted"] == 5 and expected["removed"] == 2
    backup = tmp_path / "backup.sqlite3"
    out = StringIO()
    call_command("backup", str(backup), stdout=out)
    assert out.getvalue().startswith(f"Backed up the sqlite database to {backup}")

    restored = tmp_path / "restored.sqlite3"
    assert restored_figures(f"sqlite:///{restored}", backup) == expected

    # The app keeps a file database in WAL mode; a backup of one is still a single file in a
    # rollback journal, which restores to the same figures.
    assert journal_mode(restored) == "wal"
    again = tmp_path / "again.sqlite3"
    backed_up = manage(f"sqlite:///{restored}", "backup", str(again))
    assert backed_up.returncode == 0, backed_up.stderr
    assert journal_mode(again) == "delete"
    assert sorted(p.name for p in tmp_path.glob("again.sqlite3*")) == ["again.sqlite3"]
    assert restored_figures(f"sqlite:///{tmp_path / 'third.sqlite3'}", again) == expected


def journal_mode(path: Path) -> str:
    """A SQLite file's journal as its header records it (bytes 18-19: 2 for WAL), read
    without opening it as a database (which would change nothing, or create files beside)."""
    versions = path.read_bytes()[18:20]
    return {b"\x01\x01": "delete", b"\x02\x02": "wal"}[versions]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pg_dump backup")
def test_postgresql_backup_restores_the_same_figures(transactional_db, tree, tmp_path):
    build_history(tree)
    expected = source_figures(tree.root)
    backup = tmp_path / "backup.dump"
    call_command("backup", str(backup), stdout=StringIO())

    db = connection.settings_dict
    name = f"{db['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"
    try:
        assert restored_figures(url, backup) == expected
    finally:
        with connection.cursor() as cursor:
            # Not WITH (FORCE): after the restore, an autovacuum worker may be analysing the
            # new tables, and FORCE refuses to end a process that is not the app's role (seen
            # in CI). A plain DROP ends autovacuum itself and waits a few seconds for the
            # restore's and the report's sessions, whose processes have exited, to go.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_restore_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "missing"))


def test_restore_refuses_a_backup_of_the_other_vendor(db, tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    backup = tmp_path / "other"
    backup.write_bytes({"postgresql": b"PGDMP", "sqlite": b"SQLite format 3\x00"}[other] + b"x")
    with pytest.raises(CommandError, match=f"is a {other} backup"):
        call_command("restore", str(backup))


def test_restore_refuses_a_database_with_tables(transactional_db, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=StringIO())
    with pytest.raises(CommandError, match="is not empty; use --force"):
        call_command("restore", str(backup))
