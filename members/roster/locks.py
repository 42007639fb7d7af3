"""Whether a worker is still at an import or an export: a lock that it holds while it checks
or commits an import, or builds an export.

A worker that dies mid-way (killed, out of memory, the machine restarted) leaves its import
CHECKING or COMMITTING, or its export BUILDING, and nothing else would ever change that. The
lock tells the two apart, because it is released whenever its holder ends, however it ends:

- on PostgreSQL, a session-level advisory lock (``pg_advisory_lock``), which the server
  drops with the worker's connection (behind a connection pooler, the pool must keep
  sessions: PgBouncer's session mode, not transaction mode);
- on SQLite, whose workers share the web server's machine, an ``flock`` on a file beside
  the database, which the kernel drops with the worker's process.

``working_on(job)`` holds the lock of ``job`` (a ``RosterImport`` or a ``RosterExport``)
around the work; ``worked_on(model, pks)`` (and ``is_worked_on(job)`` for one) asks, from any
other process, which of them someone holds.
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

from ..models import RosterExport, RosterImport

Job = RosterImport | RosterExport

# PostgreSQL's two-key advisory locks: this application's class of lock for the kind of
# work, then its id; and the lock file's name on SQLite.
_KINDS: dict[type, tuple[int, str]] = {
    RosterImport: (0x7468, "{pk}.lock"),  # "th"
    RosterExport: (0x7465, "export-{pk}.lock"),  # "te"
}


def _alias() -> str:
    return router.db_for_write(RosterImport)


def _lock_file(model: type, pk: int) -> Path:
    name = str(connections[_alias()].settings_dict["NAME"])
    if "mode=memory" in name or name == ":memory:":
        name += f"#{os.getpid()}"  # an in-memory database lives in one process only
    key = hashlib.sha256(name.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"thotnot-imports-{key}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / _KINDS[model][1].format(pk=pk)


@contextlib.contextmanager
def working_on(job: Job) -> Iterator[None]:
    """Hold ``job``'s lock for the block (waiting for it, should another worker hold it)."""
    connection = connections[_alias()]
    pg_class = _KINDS[type(job)][0]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [pg_class, job.pk])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [pg_class, job.pk])
        return
    with open(_lock_file(type(job), job.pk), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def worked_on(model: type, pks: Iterable[int]) -> set[int]:
    """Which of ``pks`` (imports or exports, as ``model`` says) some worker holds the lock of
    now (asked without waiting; on PostgreSQL one query on ``pg_locks``, whoever holds them)."""
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
                [_KINDS[model][0], pks],
            )
            return {int(objid) for (objid,) in cursor.fetchall()}
    held = set()
    for pk in pks:
        with open(_lock_file(model, pk), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.add(pk)
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return held


def is_worked_on(job: Job) -> bool:
    """Whether some worker holds ``job``'s lock now."""
    return job.pk in worked_on(type(job), [job.pk])
