"""A database too busy to take a write: SQLite's write lock held by another writer for longer
than the connection waits for it (the ``timeout``, 5 s). A decision holds the lock for
milliseconds; a roster import's commit holds it for its whole run (README "Importing and
exporting rosters"), and meanwhile every other save fails with "database is locked".

Such a failure is not a fault of the code or of the input, and nothing was written: the user is
told that the system is busy and to try again in a few minutes. The entry forms put that on the
form, with everything typed kept (``members.views.entry``); any other request that meets it gets
the "busy" page (``BusyDatabaseMiddleware``, status 503), not the server error page.

PostgreSQL takes row locks and waits for them (no lock timeout is set), so it never fails
this way.
"""

from __future__ import annotations

from django.db import OperationalError
from django.shortcuts import render

# SQLite's messages for SQLITE_BUSY and SQLITE_LOCKED, as Python's sqlite3 raises them (and
# Django re-raises them as its own OperationalError).
SQLITE_BUSY = frozenset({"database is locked", "database table is locked"})

# Seconds after which the busy page suggests trying again (Retry-After).
RETRY_AFTER = 60


def database_busy(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a write because another holds its lock."""
    return isinstance(error, OperationalError) and str(error) in SQLITE_BUSY


class BusyDatabaseMiddleware:
    """A view that fails on a busy database answers with the "busy" page (503, Retry-After)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
