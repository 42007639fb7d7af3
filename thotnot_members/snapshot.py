"""Reading several queries as of one moment.

A report or an export asks the database many questions, one after another: the flows, then the
rolls; the members, then each 500's events. Under PostgreSQL's default isolation (READ
COMMITTED) each statement sees the database as it is when that statement starts, so a decision
committed by another clerk in between shows in the later answers and not in the earlier ones:
a report that counts a new member at the end but not among the admitted (and says it does not
balance), a roster row that says one cell beside events that say another. ``read_snapshot``
runs the block in one read-only transaction, REPEATABLE READ on PostgreSQL: every statement
sees the database as it was at the first. A SQLite transaction reads one state of the file by
itself; the file runs in WAL mode (settings), so that a long reading transaction and the
clerks' commits do not wait for each other, and it begins deferred, taking no write lock (the
writers' transactions begin IMMEDIATE, settings).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections, transaction


@contextlib.contextmanager
def read_snapshot(using: str) -> Iterator[None]:
    """Within the block, database ``using`` is read as of one moment, and not written.

    Inside a transaction already open on it (a caller's, or an outer ``read_snapshot``),
    nothing changes: its isolation can no longer be chosen, and its own writes must stay
    visible."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    with _begins_without_write_lock(connection), transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The transaction's first statement: its isolation is fixed at the first read.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


@contextlib.contextmanager
def _begins_without_write_lock(connection) -> Iterator[None]:
    """On SQLite, a transaction begun within the block is DEFERRED, whatever the connection's
    ``transaction_mode`` (Django's option, read from the connection when it begins one)."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()  # connecting sets the mode from the settings
    configured = connection.transaction_mode
    connection.transaction_mode = "DEFERRED"
    try:
        yield
    finally:
        connection.transaction_mode = configured
