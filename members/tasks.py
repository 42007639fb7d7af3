"""Background work: checking and writing uploaded rosters, and preparing large exports, which
take minutes.

Run by ``python manage.py run_worker`` (django-tasks' database backend, ``members.worker``;
``make run`` and ``make serve`` start one beside the web server). The views enqueue these once
the request's own writes are committed; each task reads its import or export from the
database, so any worker on any machine can take it.

A task refused for a busy database ("database is locked": SQLite's write lock held past its
5 s wait) is run again after a pause (``worker.retry_when_busy``); a check or an export is
done again from the start, and a commit, one transaction, wrote nothing when it was refused.
"""

from __future__ import annotations

import contextlib

from django_tasks import task

from . import roster
from .models import ExportStatus, ImportStatus, RosterExport, RosterImport
from .worker import retry_when_busy


@task()
def check_roster_import(import_id: int) -> None:
    retry_when_busy(
        lambda: roster.check(RosterImport.objects.get(pk=import_id)),
        what=f"roster import {import_id}: check",
    )


@task()
def commit_roster_import(import_id: int) -> None:
    def commit():
        # A refusal is the import's outcome (errors on its rows, status INVALID), not a failure.
        with contextlib.suppress(roster.RosterError):
            roster.commit(RosterImport.objects.get(pk=import_id))

    def confirmed_again():
        # The refused attempt may have marked it failed; nothing of it was written.
        RosterImport.objects.filter(pk=import_id, status=ImportStatus.FAILED).update(
            status=ImportStatus.COMMITTING
        )

    retry_when_busy(commit, what=f"roster import {import_id}: commit", before_retry=confirmed_again)


@task()
def build_roster_export(export_id: int) -> None:
    def build():
        roster.build_export(
            RosterExport.objects.select_related("unit", "created_by").get(pk=export_id)
        )

    def queued_again():
        RosterExport.objects.filter(pk=export_id, status=ExportStatus.FAILED).update(
            status=ExportStatus.QUEUED
        )

    retry_when_busy(build, what=f"roster export {export_id}", before_retry=queued_again)
