"""Background work: checking and writing uploaded rosters, and preparing large exports, which
take minutes.

Run by ``python manage.py db_worker`` (django-tasks' database backend; ``make run`` and
``make serve`` start one beside the web server). The views enqueue these once the request's
own writes are committed; each task reads its import or export from the database, so any
worker on any machine can take it.
"""

from __future__ import annotations

import contextlib

from django_tasks import task

from . import roster
from .models import RosterExport, RosterImport


@task()
def check_roster_import(import_id: int) -> None:
    roster.check(RosterImport.objects.get(pk=import_id))


@task()
def commit_roster_import(import_id: int) -> None:
    # A refusal is the import's outcome (errors on its rows, status INVALID), not a failure.
    with contextlib.suppress(roster.RosterError):
        roster.commit(RosterImport.objects.get(pk=import_id))


@task()
def build_roster_export(export_id: int) -> None:
    roster.build_export(RosterExport.objects.select_related("unit", "created_by").get(pk=export_id))
