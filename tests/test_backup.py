"""A backup restored into an empty database gives the same report as the database it came from.

The restore and the report run in subprocesses against their own database (DATABASE_URL), so
the test database is never touched. Transactional tests: the backup must see committed rows.
"""

import datetime
import json
import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from members.models import Event
from members.services import member_remove
from reports.figures import unit_figures
from tests.conftest import admit, admit_official, d, make_decision
from thotnot_members.backup import ENCRYPTED_MAGIC, backup_encrypted

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
        standards_kept=True,
    )


def source_figures(unit) -> dict:
    figures = unit_figures(unit, datetime.date(2020, 1, 1), datetime.date(2023, 12, 31))
    return json.loads(json.dumps(figures.as_dict(), ensure_ascii=False))


def manage(database_url: str, *args: str, key: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}
    env.pop("DJANGO_BACKUP_KEY_FILE", None)
    if key is not None:
        env["DJANGO_BACKUP_KEY_FILE"] = str(key)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def restored_figures(database_url: str, backup: Path, *, key: Path | None = None) -> dict:
    restored = manage(database_url, "restore", str(backup), key=key)
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
    call_command("backup", str(backup), "--plain", stdout=out)
    assert out.getvalue().startswith(f"Backed up the sqlite database to {backup}")

    restored = tmp_path / "restored.sqlite3"
    assert restored_figures(f"sqlite:///{restored}", backup) == expected

    # The app keeps a file database in WAL mode; a backup of one is still a single file in a
    # rollback journal, which restores to the same figures.
    assert journal_mode(restored) == "wal"
    again = tmp_path / "again.sqlite3"
    backed_up = manage(f"sqlite:///{restored}", "backup", "--plain", str(again))
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
    key = tmp_path / "backup.key"
    call_command("backup", "--make-key", str(key), stdout=StringIO())
    backup = tmp_path / "backup.dump"
    call_command("backup", str(backup), "--key-file", str(key), stdout=StringIO())
    assert backup.read_bytes().startswith(ENCRYPTED_MAGIC)

    db = connection.settings_dict
    name = f"{db['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"
    try:
        assert restored_figures(url, backup, key=key) == expected
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
    call_command("backup", str(backup), "--plain", stdout=StringIO())
    with pytest.raises(CommandError, match="is not empty; use --force"):
        call_command("restore", str(backup))


# --- Encrypted, compressed, rotated backups -------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def key(tmp_path) -> Path:
    path = tmp_path / "office.key"
    call_command("backup", "--make-key", str(path), stdout=StringIO())
    return path


def test_a_new_key_is_its_owners_alone_and_never_replaced(key):
    assert mode(key) == 0o600
    before = key.read_bytes()
    with pytest.raises(CommandError, match="a key is never replaced"):
        call_command("backup", "--make-key", str(key))
    assert key.read_bytes() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file backup")
def test_an_encrypted_backup_restores_the_same_figures(transactional_db, tree, tmp_path, key):
    build_history(tree)
    expected = source_figures(tree.root)
    plain, sealed = tmp_path / "plain.sqlite3", tmp_path / "sealed.backup"
    call_command("backup", str(plain), "--plain", stdout=StringIO())
    out = StringIO()
    call_command("backup", str(sealed), "--key-file", str(key), stdout=out)
    assert "(encrypted, " in out.getvalue()
    data = sealed.read_bytes()
    assert data.startswith(ENCRYPTED_MAGIC)
    assert b"SQLite format 3" not in data
    assert mode(sealed) == 0o600 and mode(plain) == 0o600
    assert len(data) < plain.stat().st_size  # compressed (base64 and all)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no plain copy left

    restored = tmp_path / "restored.sqlite3"
    assert restored_figures(f"sqlite:///{restored}", sealed, key=key) == expected
    assert mode(restored) == 0o600  # the database file: the app's user's alone


def test_an_encrypted_backup_needs_its_own_key(transactional_db, tmp_path, key):
    sealed = tmp_path / "sealed.backup"
    call_command("backup", str(sealed), "--key-file", str(key), stdout=StringIO())
    other = tmp_path / "other.key"
    call_command("backup", "--make-key", str(other), stdout=StringIO())
    with pytest.raises(CommandError, match="sealed with another key"):
        call_command("restore", str(sealed), "--key-file", str(other), "--force")
    with pytest.raises(CommandError, match="is encrypted: give its key"):
        call_command("restore", str(sealed), "--force")


def test_a_changed_byte_is_refused_before_anything_is_restored(transactional_db, tmp_path, key):
    sealed = tmp_path / "sealed.backup"
    call_command("backup", str(sealed), "--key-file", str(key), stdout=StringIO())
    data = bytearray(sealed.read_bytes())
    data[-40] ^= 0x01
    sealed.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="is damaged"):
        call_command("restore", str(sealed), "--key-file", str(key), "--force")


def test_a_backup_of_a_newer_version_is_refused(transactional_db, tmp_path, key):
    sealed = tmp_path / "sealed.backup"
    newer = ".".join(str(int(p) + 1) for p in settings.APP_VERSION.split("."))
    backup_encrypted(sealed, key_file=key, app_version=newer)
    with pytest.raises(CommandError, match=f"from version {newer}, newer than"):
        call_command("restore", str(sealed), "--key-file", str(key), "--force")


def test_no_backup_without_a_key_unless_asked_for_a_plain_one(db, tmp_path, settings):
    settings.BACKUP_KEY_FILE = ""
    with pytest.raises(CommandError, match="no backup key"):
        call_command("backup", str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_a_backup_folder_keeps_the_newest_and_nothing_else_is_touched(
    transactional_db, tmp_path, key
):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("the office's own file")
    for hour in (1, 2, 3):
        moment = datetime.datetime(2026, 12, 8, hour, 30, tzinfo=datetime.UTC)
        with time_machine.travel(moment, tick=False):
            call_command(
                "backup",
                "--dir",
                str(folder),
                "--keep",
                "2",
                "--key-file",
                str(key),
                stdout=StringIO(),
            )
    assert sorted(p.name for p in folder.iterdir()) == [
        "notes.txt",
        "thotnot-20261208-023000.backup",
        "thotnot-20261208-033000.backup",
    ]
