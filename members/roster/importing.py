"""Importing a roster workbook: stage, check, commit. Nothing is written until the commit.

1. ``stage(roster_import)`` reads the uploaded file into staged rows, ``RosterImportRow``
   (``reading``), within this module's limits; problems with the file as a whole go to
   ``RosterImport.file_errors``.
2. ``check(roster_import)`` plans every row (create / update / unchanged, likely duplicates,
   who may import where: ``planning``) and then tries each member's whole history through the
   same services as the forms (``applying``), each member in a transaction of its own that is
   rolled back: every rule a form would refuse is reported on the row at fault, and nothing is
   written.
3. ``commit(roster_import)``, once the user has confirmed (and decided every likely
   duplicate), does the same for real in ONE transaction: all rows or none. The plan is made
   again inside it; if the database changed since the check in a way that changes the plan,
   or any rule refuses, everything is rolled back and the errors are on the rows.

Members' histories do not depend on each other (only the uniqueness of IDs does, which the
plan checks across the file and the database), so checking them one at a time is the same as
checking them together. Importing the same file twice changes nothing the second time: rows
match their member by citizen ID, else party card number, and events already recorded (same
kind, date and decision number) are recognized as such.

This module keeps the workflow only (the steps as the pages, the tasks and the commands call
them, and the summary); a pass over the rows is a ``context.Run`` handed to
``planning.plan_and_apply``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import RosterImport, RosterImportRow
from . import locks, reading
from .columns import EVENTS_SHEET, MEMBERS_SHEET, Sheet, column_order, located
from .context import Run
from .mapping import codes_for
from .planning import plan_and_apply
from .reading import sniff

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "RosterError",
    "check",
    "commit",
    "create_import",
    "decide_duplicates",
    "error_messages",
    "import_file",
    "interrupted",
    "is_interrupted",
    "sniff",
    "stage",
    "summarize",
]

logger = logging.getLogger(__name__)

Action = RosterImportRow.Action
Status = RosterImport.Status

# What a file may hold. Read at each call (``stage``, ``import_file``), so a test may lower them.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # data rows per sheet


class RosterError(Exception):
    """The import was refused; nothing was written. ``messages``: what and where."""

    def __init__(self, messages: list[str], roster_import: RosterImport | None = None):
        self.messages = messages
        self.roster_import = roster_import
        super().__init__("\n".join(messages))


def stage(roster_import: RosterImport) -> bool:
    """Read the import's file into staged rows; False (and ``file_errors``) if it cannot be."""
    return reading.stage(
        roster_import, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, codes=codes_for(roster_import)
    )


# --- the summary -------------------------------------------------------------------------------


def summarize(ri: RosterImport) -> dict[str, int]:
    from django.db.models import Count, Q

    counts = ri.rows.aggregate(
        create=Count("pk", filter=Q(sheet=Sheet.MEMBERS, action=Action.CREATE)),
        update=Count("pk", filter=Q(sheet=Sheet.MEMBERS, action=Action.UPDATE)),
        unchanged=Count("pk", filter=Q(sheet=Sheet.MEMBERS, action=Action.UNCHANGED)),
        skip=Count("pk", filter=Q(action=Action.SKIP, sheet=Sheet.MEMBERS)),
        new_events=Count("pk", filter=Q(sheet=Sheet.EVENTS, action=Action.NEW_EVENT)),
        known_events=Count("pk", filter=Q(sheet=Sheet.EVENTS, action=Action.KNOWN_EVENT)),
        duplicates=Count(
            "pk", filter=Q(sheet=Sheet.MEMBERS, action=Action.CREATE) & ~Q(duplicate_of="")
        ),
        undecided=Count(
            "pk",
            filter=Q(sheet=Sheet.MEMBERS, action=Action.CREATE, decision="") & ~Q(duplicate_of=""),
        ),
        error_rows=Count("pk", filter=Q(error_count__gt=0)),
    )
    counts["errors"] = counts["error_rows"] + len(ri.file_errors)
    return counts


def error_messages(ri: RosterImport, limit: int | None = None) -> list[str]:
    """Every error as "trang Sheet, dòng row, cột column: message", in the file's order, in
    the uploader's language like the messages themselves."""
    with translation.override(ri.language or None):
        return _error_messages(ri, limit)


def _error_messages(ri: RosterImport, limit: int | None) -> list[str]:
    found = list(ri.file_errors)
    rows = ri.rows.filter(error_count__gt=0).order_by("sheet", "number")
    # the members sheet first ("events" < "members" alphabetically)
    ordered = [*rows.filter(sheet=Sheet.MEMBERS), *rows.filter(sheet=Sheet.EVENTS)]
    for row in ordered:
        title = MEMBERS_SHEET if row.sheet == Sheet.MEMBERS else EVENTS_SHEET
        for column, message in sorted(row.errors, key=lambda e: column_order(row.sheet, e[0])):
            found.append(located(title, row.number, column, message))
            if limit is not None and len(found) >= limit:
                return found
    return found


# --- the steps, as the commands and the tasks call them -----------------------------------------


def _supported(language: str | None) -> str:
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def create_import(data: bytes, *, file_name: str, user=None) -> RosterImport:
    """A new import of ``data``, to be checked in the language now active (the uploader's)."""
    return RosterImport.objects.create(
        file_name=file_name[:255],
        size=len(data),
        content=data,
        created_by=user,
        language=_supported(translation.get_language()),
    )


@contextlib.contextmanager
def _at_work(ri: RosterImport):
    """A worker's check or commit of ``ri``: in the uploader's language, holding the import's
    lock (``locks``: an interrupted import can be told from a busy one), and an unexpected
    error leaves the import marked failed (and logged), never half-done."""
    with translation.override(ri.language), locks.working_on(ri):
        try:
            yield
        except RosterError:
            raise
        except Exception:
            logger.exception("roster import %s failed", ri.pk)
            RosterImport.objects.filter(pk=ri.pk).update(status=Status.FAILED)
            ri.status = Status.FAILED
            raise


def check(ri: RosterImport, *, histories: bool = True) -> RosterImport:
    """Stage the file and check every row; the import ends READY or INVALID. Writes nothing
    but the staged rows. ``histories=False`` only plans (the services are tried at the commit
    that follows at once, as on the command line: the work is not done twice)."""
    user = ri.created_by
    with _at_work(ri):
        ri.status, ri.rows_done, ri.taken_at = Status.CHECKING, 0, timezone.now()
        ri.save(update_fields=["status", "rows_done", "taken_at"])
        if stage(ri):
            RosterImport.objects.filter(pk=ri.pk).update(rows_total=ri.rows_total)
            plan_and_apply(Run(ri, user=user, commit=False, histories=histories))
        ri.summary = summarize(ri)
        ri.status = Status.INVALID if ri.summary["errors"] else Status.READY
        ri.checked_at = timezone.now()
        ri.rows_done = ri.rows_total
        ri.save(
            update_fields=[
                "status",
                "summary",
                "file_errors",
                "rows_total",
                "rows_done",
                "checked_at",
            ]
        )
    return ri


def decide_duplicates(ri: RosterImport, decision: str) -> int:
    """Give every likely duplicate still undecided the same decision (the command's option)."""
    return (
        ri.rows.filter(sheet=Sheet.MEMBERS, action=Action.CREATE, decision="")
        .exclude(duplicate_of="")
        .update(decision=decision)
    )


def commit(ri: RosterImport, *, dry_run: bool = False) -> dict[str, int]:
    """Write a checked import, all rows or none. Raises ``RosterError`` (nothing written, the
    errors on the rows, the import INVALID) when anything refuses. ``dry_run``: everything,
    then roll back."""
    user = ri.created_by
    if ri.status not in (Status.READY, Status.COMMITTING):  # COMMITTING: confirmed, queued
        raise RosterError([_("Tệp chưa được kiểm tra xong hoặc còn lỗi.")], ri)
    if summarize(ri)["undecided"]:
        raise RosterError([_("Còn dòng nghi trùng chưa chọn cách xử lý.")], ri)
    with _at_work(ri):
        RosterImport.objects.filter(pk=ri.pk).update(
            status=Status.COMMITTING, taken_at=timezone.now()
        )
        run = Run(ri, user=user, commit=True)
        with transaction.atomic():
            plan_and_apply(run)
            failed = bool(run.failed) or run.stale
            summary = summarize(ri)
            if failed or dry_run:
                transaction.set_rollback(True)
            else:  # DONE in the same transaction as the rows: a worker dying leaves neither
                ri.summary = summary
                ri.status, ri.committed_at = Status.DONE, timezone.now()
                ri.save(update_fields=["status", "summary", "committed_at"])
        if failed:
            for pk, errors in run.failed.items():
                RosterImportRow.objects.filter(pk=pk).update(errors=errors, error_count=len(errors))
            ri.summary = summarize(ri)
            ri.status = Status.INVALID
            ri.save(update_fields=["status", "summary"])
            raise RosterError(error_messages(ri), ri)
        if dry_run:
            ri.summary = summary
            ri.status = Status.READY
            ri.save(update_fields=["status"])
    return summary


def interrupted(imports: Iterable[RosterImport]) -> set[int]:
    """The ids of those of ``imports`` whose worker is gone, leaving them CHECKING or
    COMMITTING. Nothing of them was written then (a commit is one transaction, its DONE
    included), and they may be checked again or discarded. At most one query."""
    taken = [
        ri.pk
        for ri in imports
        if ri.status in RosterImport.WORKING_STATUSES and ri.taken_at is not None
    ]
    return set(taken) - locks.worked_on(RosterImport, taken)


def is_interrupted(ri: RosterImport) -> bool:
    return ri.pk in interrupted([ri])


def import_file(path, *, user=None, dry_run: bool = False, duplicates: str = "") -> RosterImport:
    """Check and (unless there are errors) commit a file in one go: the command line's way.
    Raises ``RosterError`` on any error; the returned import says what was (or would be) done."""
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    ri = create_import(data, file_name=str(path).rsplit("/", 1)[-1], user=user)
    check(ri, histories=False)
    if ri.status != Status.READY:
        raise RosterError(error_messages(ri), ri)
    if duplicates:
        decide_duplicates(ri, duplicates)
    commit(ri, dry_run=dry_run)
    return ri
