"""A stand-in for a background worker, for the tests of the locks that tell a busy import or
export from one whose worker died."""

from __future__ import annotations

import threading

from django.db import connections

from members.roster import locks


class Holder:
    """A worker elsewhere: another thread, with its own database connection, holding the lock
    of an import or an export (``members.roster.locks``) for the ``with`` block."""

    def __init__(self, job: locks.Job):
        self.job, self.taken, self.done = job, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with locks.working_on(self.job):
                self.taken.set()
                self.done.wait(10)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(10)
