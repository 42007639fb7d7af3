"""The background worker that survives (issue 29): django-tasks' ``db_worker`` loop, made to
wait out a busy database instead of crashing, with a heartbeat the health endpoint and the
waiting pages read. Run by ``manage.py run_worker`` (scripts/with_worker.sh, the systemd unit).

- **Busy database.** SQLite answers "database is locked" once a writer has waited its 5 s; the
  library's loop let that escape from its own claiming transaction and the worker died. Here
  every such error is logged and waited out (``retry_when_busy``: a growing pause, up to
  ``WORKER_BUSY_RETRY_SECONDS`` in all), in the loop and around each task.
- **Heartbeat.** A thread rewrites the worker's ``WorkerHeartbeat`` row every
  ``WORKER_HEARTBEAT_SECONDS`` on its own connection, also while a task runs. A beat refused
  for the lock is skipped (the lock may be the worker's own commit), so ``is_up`` also counts a
  worker holding an import's or export's lock (``roster.locks``) as up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.utils import is_locked_database_exception

from .models import ExportStatus, RosterExport, RosterImport, WorkerHeartbeat
from .roster import locks

logger = logging.getLogger(__name__)
T = TypeVar("T")


def is_busy_error(error: BaseException) -> bool:
    """The database refused for a lock held elsewhere (SQLite's "database is locked")."""
    return isinstance(error, OperationalError) and is_locked_database_exception(error)


def retry_when_busy(work: Callable[[], T], *, what: str, before_retry=None) -> T:
    """``work()``, run again after a pause each time the database is busy, until
    ``WORKER_BUSY_RETRY_SECONDS`` have passed (then the last error is raised). ``before_retry``
    puts back what the refused attempt left (an import marked failed, say)."""
    deadline = time.monotonic() + settings.WORKER_BUSY_RETRY_SECONDS
    pause = 1.0
    while True:
        try:
            return work()
        except Exception as error:
            if not is_busy_error(error) or time.monotonic() + pause > deadline:
                raise
            logger.warning(
                "%s: the database is busy (%s); trying again in %g s", what, error, pause
            )
        if not connection.in_atomic_block:  # a connection the error left unusable
            close_old_connections()
        time.sleep(pause)
        pause = min(pause * 2, 30.0)
        if before_retry is not None:
            retry_when_busy(before_retry, what=f"{what} (putting back)")


def beat(worker_id: str, *, started_at) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": started_at},
    )


def last_beat():
    """When a worker last said it was alive (None: never)."""
    return WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()


def is_up() -> bool:
    """A worker beat within ``WORKER_HEARTBEAT_STALE_SECONDS``, or one holds the lock of an
    import or export it is working on. Two or three queries."""
    since = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    if WorkerHeartbeat.objects.filter(beat_at__gte=since).exists():
        return True
    imports = list(
        RosterImport.objects.filter(status__in=RosterImport.WORKING_STATUSES).values_list(
            "pk", flat=True
        )
    )
    exports = list(
        RosterExport.objects.filter(status=ExportStatus.BUILDING).values_list("pk", flat=True)
    )
    return bool(locks.worked_on(RosterImport, imports) or locks.worked_on(RosterExport, exports))


class Heartbeat(threading.Thread):
    def __init__(self, worker_id: str):
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                try:
                    beat(self.worker_id, started_at=self.started_at)
                except Exception as error:  # a missed beat is not the worker's end
                    logger.warning("heartbeat not written: %s", error)
                    connection.close()
                self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except Exception as error:
            logger.warning("heartbeat row not removed: %s", error)


class SurvivingWorker(db_worker.Worker):
    """The library's worker, with its loop restarted whenever the database was busy."""

    def run(self) -> None:
        heartbeat = Heartbeat(self.worker_id)
        heartbeat.start()
        try:
            while True:
                try:
                    return super().run()
                except OperationalError as error:
                    if not is_busy_error(error):
                        raise
                    logger.warning("worker: the database is busy (%s); going on", error)
                    close_old_connections()
                    self.startup_delay = False
                    time.sleep(max(self.interval, 1.0))
        finally:
            heartbeat.stop()

    def run_task(self, db_task_result) -> None:
        # Recording the task's end is a write too: wait for the lock rather than die (the task
        # itself retries in members.tasks; it is never run twice here).
        for name in ("set_successful", "set_failed"):
            record = getattr(db_task_result, name)
            setattr(db_task_result, name, _waiting(record, what=f"task {db_task_result.id}"))
        super().run_task(db_task_result)


def _waiting(record: Callable, *, what: str) -> Callable:
    def call(*args, **kwargs):
        return retry_when_busy(lambda: record(*args, **kwargs), what=what)

    return call
