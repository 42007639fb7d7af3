"""Exporting a unit's roster: inline for a small unit, in the background for a large one.

The export page (``members.views.imports.roster_export``) writes the workbook within the
request when the unit keeps at most ``settings.ROSTER_EXPORT_INLINE_MAX`` records; above that
it offers to prepare the file in the background (a province's 196,000 members take minutes,
longer than a request may run):

1. ``request_export`` records a ``RosterExport`` (queued) for the user, and deletes every
   export older than ``RosterExport.KEPT_FOR`` (so the files kept are at most a week's); the
   view queues ``build_export`` once the request's transaction is committed
   (``members.tasks``).
2. ``build_export`` reads the same members the inline export would (``export_members``, over
   the requester's scope as it is when the worker runs), writes the workbook to a temporary
   file and stores it in parts (``RosterExportPart``), with READY, in one transaction. Any
   error leaves the export FAILED with a short message (details in the log).
3. ``export_parts`` reads it back, a part at a time, for the download.

Neither step holds the file in memory (a province's workbook is 61 MB: stored as one value,
it took the worker to 746 MB, measured with Django's query log on; in parts, 234 MB measured
the same way, 115 MB with it off as in production).

A unit whose records or events would not fit in a sheet (Excel's 1,048,576 rows) is not
exported at all: the page asks for the units below it, one at a time.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from branches.models import Unit
from thotnot_members.snapshot import read_snapshot

from ..models import Event, Member, MemberQuerySet, RosterExport, RosterExportPart
from . import locks
from .workbook import export_roster

logger = logging.getLogger(__name__)

Status = RosterExport.Status

# The size of the stored parts: big enough that a province's file is ~60 rows, small enough
# that neither the worker nor the download holds more than a few of them.
PART_BYTES = 1024 * 1024

# The rows of a sheet in Excel (and LibreOffice), its head row included.
SHEET_ROWS = 1_048_576

# Stored untranslated (the worker does not know the user's language) and translated where it
# is shown.
FAILED_MESSAGE = gettext_noop(
    "Có lỗi hệ thống khi chuẩn bị tệp. Hãy yêu cầu lại; nếu lỗi lặp lại, báo quản trị hệ thống."
)


def export_members(*, unit: Unit, user, current_only: bool) -> MemberQuerySet:
    """The records kept in ``unit``'s subtree that ``user`` may see (only current members with
    ``current_only``), unordered: what both the inline and the background export hold."""
    members = Member.objects.visible_to(user).filter(record_unit__in=Unit.objects.under(unit))
    return members.active() if current_only else members


def fits_inline(members: MemberQuerySet) -> bool:
    """Whether ``members`` are few enough to export within a request. Counts at most one past
    the limit (never the whole province)."""
    limit = settings.ROSTER_EXPORT_INLINE_MAX
    return members.order_by().values("pk")[: limit + 1].count() <= limit


def fits_a_workbook(members: MemberQuerySet) -> bool:
    """Whether ``members`` and all their events each fit in a sheet under its head row (the
    events sheet leaves out a few, so this may refuse a unit just under the limit). Counts at
    most one past the limit."""
    limit = SHEET_ROWS - 1
    ids = members.order_by().values("pk")
    if ids[: limit + 1].count() > limit:
        return False
    events = Event.objects.filter(member__in=ids).order_by().values("pk")
    return events[: limit + 1].count() <= limit


def export_file_name(unit: Unit, day: datetime.date) -> str:
    return f"danh-sach-{unit.code}-{day:%Y%m%d}.xlsx"


def write_export(members: MemberQuerySet, out) -> int:
    """Write ``members`` (in Vietnamese name order) and their events to ``out``, as the
    database was at one moment (``read_snapshot``: the members and each 500's events are read
    by separate queries, minutes apart for a province, while staff keep entering decisions)."""
    with read_snapshot(members.db):
        return export_roster(members.vietnamese_order(), out)


def request_export(*, unit: Unit, user, current_only: bool) -> RosterExport:
    """A new export of ``unit`` for ``user``, queued; every export older than
    ``RosterExport.KEPT_FOR``, whoever asked for it, is deleted with its parts. The caller
    queues ``build_export``."""
    with transaction.atomic():
        RosterExport.objects.filter(created_at__lt=timezone.now() - RosterExport.KEPT_FOR).delete()
        return RosterExport.objects.create(unit=unit, current_only=current_only, created_by=user)


def build_export(export: RosterExport) -> RosterExport:
    """Write the workbook of ``export`` and store it: the export ends READY, or FAILED with a
    message for the user (the error itself is logged). An export no longer QUEUED (another
    worker took it up) is left alone. The worker holds the export's lock (``locks``) from
    before it marks the export BUILDING until it has marked it done, so that an export left
    BUILDING by a worker that died is told from one being built (``exports_interrupted``)."""
    with locks.working_on(export):
        started = timezone.now()
        taken = RosterExport.objects.filter(pk=export.pk, status=Status.QUEUED).update(
            status=Status.BUILDING, started_at=started
        )
        if not taken:
            return export
        export.status, export.started_at = Status.BUILDING, started
        try:
            _store(export, started)
        except Exception:
            logger.exception("roster export %s failed", export.pk)
            export.size, export.file_name = None, ""
            export.status, export.finished_at = Status.FAILED, timezone.now()
            export.error = FAILED_MESSAGE
            export.save(update_fields=["size", "file_name", "status", "finished_at", "error"])
    return export


def _store(export: RosterExport, started: datetime.datetime) -> None:
    """Write the workbook to a temporary file, then store it in parts with READY, in one
    transaction."""
    members = export_members(
        unit=export.unit, user=export.created_by, current_only=export.current_only
    )
    with tempfile.TemporaryFile() as out:
        write_export(members, out)
        export.size = out.tell()
        out.seek(0)
        with transaction.atomic():
            number = 0
            while data := out.read(PART_BYTES):
                RosterExportPart.objects.create(export=export, number=number, data=data)
                number += 1
            export.file_name = export_file_name(export.unit, timezone.localdate(started))
            export.status, export.finished_at = Status.READY, timezone.now()
            export.save(update_fields=["size", "file_name", "status", "finished_at"])


def exports_interrupted(exports: Iterable[RosterExport]) -> set[int]:
    """The ids of those of ``exports`` left BUILDING by a worker that is gone (killed, out of
    memory, the machine restarted): nothing of their files was stored (the parts and READY
    are one transaction), and the user may ask again. At most one query."""
    building = [export.pk for export in exports if export.status == Status.BUILDING]
    return set(building) - locks.worked_on(RosterExport, building)


def is_export_interrupted(export: RosterExport) -> bool:
    return export.pk in exports_interrupted([export])


def export_parts(export: RosterExport) -> Iterator[bytes]:
    """A ready export's workbook, a part at a time (for a streamed download)."""
    parts = export.parts.order_by("number").values_list("data", flat=True)
    for data in parts.iterator(chunk_size=1):
        yield bytes(data)
