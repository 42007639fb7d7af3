"""Whether a worker is still at an import: a lock that it holds while it checks or commits.

A worker that dies mid-way (killed, out of memory, the machine restarted) leaves its import
CHECKING or COMMITTING, and nothing else would ever change that. The lock tells the two
apart, because it is released whenever its holder ends, however it ends:

- on PostgreSQL, a session-level advisory lock (``pg_advisory_lock``), which the server
  drops with the worker's connection (behind a connection pooler, the pool must keep
  sessions: PgBouncer's session mode, not transaction mode);
- on SQLite, whose workers share the web server's machine, an ``flock`` on a file beside
  the database, which the kernel drops with the worker's process.

``working_on(ri)`` holds the lock around a check or a commit; ``worked_on(pks)`` (and
``is_worked_on(ri)`` for one) asks, from any other process, which of them someone holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import connections, router

from ..models import RosterImport

# PostgreSQL's two-key advisory locks: this application's class of lock, then the import.
_PG_CLASS = 0x7468  # "th"


def _alias() -> str:
    return router.db_for_write(RosterImport)


def _lock_file(pk: int) -> Path:
    name = str(connections[_alias()].settings_dict["NAME"])
    if "mode=memory" in name or name == ":memory:":
        name += f"#{os.getpid()}"  # an in-memory database lives in one process only
    key = hashlib.sha256(name.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"thotnot-imports-{key}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{pk}.lock"


@contextlib.contextmanager
def working_on(ri: RosterImport) -> Iterator[None]:
    """Hold ``ri``'s lock for the block (waiting for it, should another worker hold it)."""
    connection = connections[_alias()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_PG_CLASS, ri.pk])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_PG_CLASS, ri.pk])
        return
    with open(_lock_file(ri.pk), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def worked_on(pks: Iterable[int]) -> set[int]:
    """Which of the imports ``pks`` some worker holds the lock of now (asked without waiting;
    on PostgreSQL one query on ``pg_locks``, whoever holds them)."""
    pks = list(pks)
    if not pks:
        return set()
    connection = connections[_alias()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::bigint = %s AND objsubid = 2 AND objid::bigint = ANY(%s)",
                [_PG_CLASS, pks],
            )
            return {int(objid) for (objid,) in cursor.fetchall()}
    held = set()
    for pk in pks:
        with open(_lock_file(pk), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.add(pk)
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return held


def is_worked_on(ri: RosterImport) -> bool:
    """Whether some worker holds ``ri``'s lock now."""
    return ri.pk in worked_on([ri.pk])
