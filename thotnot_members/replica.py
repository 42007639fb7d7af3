"""Report reads on a PostgreSQL read replica, everything else on the primary.

With ``DATABASE_REPLICA_URL`` set, settings add the ``replica`` alias and set
``REPORTS_DATABASE = "replica"``; the reports (their pages, PDFs and workbooks, the records behind
a figure, the ``directive28_report`` command) run inside ``report_reads()`` and read from it.
Everything else reads from ``default``: a replica lags its primary, and staff who have just
entered a decision must see it on the home page, the list and the record. Writes and migrations
only ever go to ``default``.

Opt-in (the reports enter a context) rather than opt-out (every read on the replica unless
pinned, as django-multidb-router does): only the reports tolerate reading a second or so in the
past, and forgetting the context costs load on the primary, never a stale page.

The context is also one snapshot (``thotnot_members.snapshot.read_snapshot``): a report's
queries all see the database as it was at the first of them, so that a decision committed in
the middle of a report (a province's takes half a second, the country's workbook a minute)
cannot make it count a new member at the end but not among the admitted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from .snapshot import read_snapshot

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)

# Signing in and staying signed in must never read the past: a session or a sign-in attempt
# written a moment ago on the primary may not have reached the replica yet.
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "axes", "contenttypes"})


@contextlib.contextmanager
def report_reads() -> Iterator[None]:
    """Within the block (or the decorated function: ``@report_reads()``), reads go to
    ``settings.REPORTS_DATABASE``, all as of one moment (``read_snapshot`` there)."""
    token = _reading_reports.set(True)
    try:
        with read_snapshot(_reports_alias()):
            yield
    finally:
        _reading_reports.reset(token)


def _reports_alias() -> str:
    """Where the reports read: ``REPORTS_DATABASE``, except inside a transaction on the primary,
    whose reads must see its own uncommitted writes."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return settings.REPORTS_DATABASE


class ReportReplicaRouter:
    """Reads inside ``report_reads()`` go to ``REPORTS_DATABASE``; every other read, every write
    and every migration go to ``default``."""

    def db_for_read(self, model, **hints) -> str:
        if _reading_reports.get() and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return _reports_alias()
        # Explicitly, so that objects read from the replica do not keep reading from it
        # (Django's fallback is the alias an instance came from).
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        # Never the instance's alias: an object read from the replica is saved on the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
