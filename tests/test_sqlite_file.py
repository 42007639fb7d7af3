"""SQLite as the app runs it: a file database with the app's own connection settings, written
by several clerks at once (threads here, gunicorn's workers in production) while reports read.

The test database is in memory (a shared cache, with locks of its own), so each test opens
connections to a file of its own, registered under aliases of their own for as long as the
test runs (Django keeps connections per thread: a second clerk registers hers in her thread).
"""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from thotnot_members.busy import database_busy
from thotnot_members.snapshot import read_snapshot

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking (settings)"),
    pytest.mark.django_db,  # no query on the test database; the file connections need it
]


@contextlib.contextmanager
def file_connection(path, alias: str, *, timeout: float):
    """A connection to the file ``path`` with the app's settings (``timeout``: how long a
    statement waits for another connection's lock before "database is locked"), as
    ``connections[alias]`` in this thread."""
    configured = connections.settings["default"]
    settings_dict = {
        **configured,
        "NAME": str(path),
        "OPTIONS": {**configured.get("OPTIONS", {}), "timeout": timeout},
    }
    connections[alias] = made = type(connections["default"])(settings_dict, alias)
    try:
        yield made
    finally:
        made.close()
        del connections[alias]


def run(conn, sql: str, params=()):
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def decisions(tmp_path):
    path = tmp_path / "db.sqlite3"
    with file_connection(path, "setup", timeout=1) as setup:
        run(setup, "CREATE TABLE decision (number text)")
        run(setup, "INSERT INTO decision VALUES ('1-QĐ/ĐU')")
        assert run(setup, "PRAGMA journal_mode") == [("wal",)]
    return path


def test_a_clerk_who_reads_before_writing_is_not_refused_for_anothers_commit(decisions):
    """The event services read the member's state, then write. In SQLite's default (deferred)
    transaction the read takes no lock; another clerk commits meanwhile, and the first one's
    write is refused at once ("database is locked": a stale read may not be written on), with
    no wait that could save it. Every atomic block begins IMMEDIATE (settings): the first clerk
    holds the write lock from the start, the second waits for it and then commits too."""
    errors: list[Exception] = []

    def second_clerk():
        try:
            with (
                file_connection(decisions, "second_clerk", timeout=10) as second,
                transaction.atomic(using="second_clerk"),
            ):
                run(second, "INSERT INTO decision VALUES ('3-QĐ/ĐU')")
        except Exception as error:  # reported in the main thread
            errors.append(error)

    with file_connection(decisions, "first_clerk", timeout=10) as first:
        with transaction.atomic(using="first_clerk"):
            assert run(first, "SELECT COUNT(*) FROM decision") == [(1,)]
            other = threading.Thread(target=second_clerk)
            other.start()
            # The second clerk commits now (deferred), or waits for the first's lock.
            other.join(timeout=0.5)
            run(first, "INSERT INTO decision VALUES ('2-QĐ/ĐU')")
        other.join()
        assert errors == []
        assert run(first, "SELECT number FROM decision ORDER BY number") == [
            ("1-QĐ/ĐU",),
            ("2-QĐ/ĐU",),
            ("3-QĐ/ĐU",),
        ]


def test_a_report_neither_holds_back_a_clerks_commit_nor_sees_it(decisions):
    """A report reads in one transaction (``read_snapshot``), a city's workbook for seconds. It
    begins deferred, unlike the writers' transactions, and the file is in WAL mode: a clerk's
    commit does not wait for it (the clerk here gives up after 0.5 s), and the report keeps
    reading what it began with."""
    with (
        file_connection(decisions, "report", timeout=0.5) as report,
        file_connection(decisions, "clerk", timeout=0.5) as clerk,
    ):
        with read_snapshot("report"):
            assert run(report, "SELECT COUNT(*) FROM decision") == [(1,)]
            with transaction.atomic(using="clerk"):
                run(clerk, "INSERT INTO decision VALUES ('2-QĐ/ĐU')")
            assert run(clerk, "SELECT COUNT(*) FROM decision") == [(2,)]
            assert run(report, "SELECT COUNT(*) FROM decision") == [(1,)]
        assert run(report, "SELECT COUNT(*) FROM decision") == [(2,)]


def test_a_writers_transaction_holds_the_write_lock_from_its_start(decisions):
    """Even while it has only read: so no one else can commit between its read and its write
    (another writer waits, for up to the connection's timeout: 5 s by default)."""
    with (
        file_connection(decisions, "first_clerk", timeout=10) as first,
        file_connection(decisions, "impatient", timeout=0.2) as impatient,
        transaction.atomic(using="first_clerk"),
    ):
        run(first, "SELECT COUNT(*) FROM decision")
        # A writer that will not wait long enough is refused.
        with (
            pytest.raises(OperationalError, match="locked"),
            transaction.atomic(using="impatient"),
        ):
            run(impatient, "INSERT INTO decision VALUES ('2-QĐ/ĐU')")


def test_a_writer_refused_for_the_lock_is_told_the_database_is_busy(decisions):
    """The error a writer gets when another holds the lock past its wait is the one the app
    calls busy (``database_busy``: the entry forms and the busy page say so); another failure
    of the database is not."""
    with (
        file_connection(decisions, "first_clerk", timeout=10) as first,
        file_connection(decisions, "impatient", timeout=0.2) as impatient,
    ):
        with transaction.atomic(using="first_clerk"):
            run(first, "INSERT INTO decision VALUES ('2-QĐ/ĐU')")
            with (
                pytest.raises(OperationalError) as refused,
                transaction.atomic(using="impatient"),
            ):
                run(impatient, "INSERT INTO decision VALUES ('3-QĐ/ĐU')")
        assert database_busy(refused.value)
        with pytest.raises(OperationalError) as failed:
            run(impatient, "SELECT * FROM no_such_table")
        assert not database_busy(failed.value)
