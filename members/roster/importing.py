"""Importing a roster workbook: stage, check, commit. Nothing is written until the commit.

1. ``stage(roster_import)`` streams the uploaded file (openpyxl read-only) into staged rows,
   ``RosterImportRow``, a thousand at a time: every cell parsed, every bad cell an error with
   its sheet, row and column. Problems with the file as a whole (not an .xlsx, password, no
   header row, too big, …) go to ``RosterImport.file_errors``. Memory does not grow with the
   number of rows beyond two small maps of IDs (to find each event's member).
2. ``check(roster_import)`` plans every row (create / update / unchanged, likely duplicates,
   who may import where) and then tries each member's whole history through the same
   services as the forms, each member in a transaction of its own that is rolled back: every
   rule a form would refuse is reported on the row at fault, and nothing is written.
3. ``commit(roster_import)``, once the user has confirmed (and decided every likely
   duplicate), does the same for real in ONE transaction: all rows or none. The plan is made
   again inside it; if the database changed since the check in a way that changes the plan,
   or any rule refuses, everything is rolled back and the errors are on the rows.

Members' histories do not depend on each other (only the uniqueness of IDs does, which the
plan checks across the file and the database), so checking them one at a time is the same as
checking them together. Importing the same file twice changes nothing the second time: rows
match their member by citizen ID, else party card number, and events already recorded (same
kind, date and decision number) are recognized as such.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import io
import logging
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from branches.models import Unit

from .. import services
from ..models import Directive, Event, Member, RosterImport, RosterImportRow
from ..models import Status as MemberStatus
from ..text import fold
from . import locks
from .columns import (
    COLUMNS,
    EVENTS_SHEET,
    GUIDE_SHEET,
    LISTS_SHEET,
    MEMBERS_SHEET,
    RECORD_KEYS,
    REQUIRED,
    EventAction,
    Sheet,
    column_order,
    decode,
    header,
    match_headers,
    parse_cell,
    text,
    to_json,
)

logger = logging.getLogger(__name__)

K = Event.Kind
Action = RosterImportRow.Action
Status = RosterImport.Status

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # data rows per sheet
# Formatted but empty rows at the end of a sheet are skipped; this many in a row end the read.
MAX_BLANK_RUN = 1_000
HEADER_SEARCH_ROWS = 10
BATCH = 1_000  # staged rows written at a time
CHUNK = 500  # members planned and checked at a time


class RosterError(Exception):
    """The import was refused; nothing was written. ``messages``: what and where."""

    def __init__(self, messages: list[str], roster_import: RosterImport | None = None):
        self.messages = messages
        self.roster_import = roster_import
        super().__init__("\n".join(messages))


# --- 1. staging --------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def sniff(data: bytes, *, max_bytes: int | None = None) -> str | None:
    """A message when ``data`` cannot be an .xlsx we read, found before openpyxl opens it."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if len(data) > max_bytes:
        return _("Tệp quá lớn (%(size)s MB); giới hạn là %(limit)s MB.") % {
            "size": _mb(len(data)),
            "limit": max_bytes // (1024 * 1024),
        }
    if not data:
        return _("Tệp rỗng.")
    if data[:8] == _OLE_MAGIC:
        # An encrypted .xlsx is an OLE file holding an "EncryptedPackage" stream; any other
        # OLE file is most likely an old .xls.
        if _ENCRYPTED_MARK in data:
            return _("Tệp có mật khẩu: hãy gỡ mật khẩu rồi tải lại.")
        return _("Tệp Excel 97-2003 (.xls) không được hỗ trợ: hãy lưu lại dạng .xlsx.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return _("Tệp không phải tệp Excel .xlsx.")
    return None


def _pick_sheets(names: list[str]) -> tuple[str, str | None]:
    """The members sheet (by name, else the first sheet that is not ours) and the events sheet."""
    folded = {fold(n): n for n in names}
    members = folded.get(fold(MEMBERS_SHEET))
    events = folded.get(fold(EVENTS_SHEET))
    if members is None:
        ours = {fold(EVENTS_SHEET), fold(GUIDE_SHEET), fold(LISTS_SHEET)}
        others = [n for n in names if fold(n) not in ours]
        members = (others or names)[0]
    return members, events


class _FileRefused(Exception):
    pass


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})([0-9]+):([A-Z]{1,3})([0-9]+)"')


def _merged_cells(ws) -> dict[int, set[int]]:
    """Row number -> the (0-based) columns of cells inside a merged range. A read-only sheet
    gives a merged range's value in its first cell only, so the others would read as blank:
    the ranges are found by scanning the sheet's XML (``_get_source``: the read-only sheet's
    own stream of it), without loading the sheet."""
    found: dict[int, set[int]] = defaultdict(set)
    source = ws._get_source()
    try:
        tail = b""
        while chunk := source.read(1 << 20):
            data = tail + chunk
            for m in _MERGE.finditer(data):
                first_col, first_row, last_col, last_row = m.groups()
                columns = range(
                    column_index_from_string(first_col.decode()) - 1,
                    column_index_from_string(last_col.decode()),
                )
                for number in range(int(first_row), int(last_row) + 1):
                    found[number].update(columns)
            tail = data[-200:]
    finally:
        source.close()
    return found


class _Stager:
    """Streams one workbook into staged rows."""

    def __init__(self, roster_import: RosterImport):
        self.ri = roster_import
        self.buffer: list[RosterImportRow] = []
        self.members_by_cid: dict[str, str] = {}
        self.members_by_card: dict[str, str] = {}
        self.first_row_of: dict[tuple[str, str], int] = {}
        self.same_person: dict[tuple[str, str], int] = {}
        self.count = 0

    def flush(self) -> None:
        if self.buffer:
            RosterImportRow.objects.bulk_create(self.buffer)
            self.buffer = []

    def add(self, row: RosterImportRow) -> None:
        row.error_count = len(row.errors)
        self.buffer.append(row)
        self.count += 1
        if len(self.buffer) >= BATCH:
            self.flush()

    def sheet(self, ws, sheet: str, title: str, *, required: bool) -> None:
        merged = _merged_cells(ws)
        rows = ws.iter_rows(values_only=True)
        positions = None
        header_number = 0
        for number, cells in enumerate(rows, start=1):
            if any(text(v) for v in cells):
                positions, missing, unknown = match_headers(sheet, cells)
                looks_like_header = len(positions) >= 2 or fold("Họ và tên") in {
                    fold(text(v)) for v in cells
                }
                if not missing and not unknown:
                    header_number = number
                    break
                if looks_like_header or number >= HEADER_SEARCH_ROWS:
                    problems = []
                    if missing:
                        problems.append(
                            _("thiếu cột %(columns)s")
                            % {"columns": ", ".join(f"“{header(sheet, k)}”" for k in missing)}
                        )
                    if unknown:
                        problems.append(
                            _("cột không có trong mẫu: %(columns)s")
                            % {"columns": ", ".join(f"“{u}”" for u in unknown)}
                        )
                    raise _FileRefused(
                        _("%(sheet)s!%(row)s: dòng tiêu đề sai (%(problems)s).")
                        % {"sheet": title, "row": number, "problems": "; ".join(problems)}
                    )
            if number >= HEADER_SEARCH_ROWS:
                break
        if not header_number:
            if not required and positions is None:
                return  # an events sheet left empty
            raise _FileRefused(
                _("%(sheet)s: trang tính trống.") % {"sheet": title}
                if positions is None
                else _("%(sheet)s: không tìm thấy dòng tiêu đề.") % {"sheet": title}
            )

        columns = [c for c in COLUMNS[sheet] if c.key in positions and c.imported]
        blank_run = 0
        data_rows = 0
        for number, cells in enumerate(rows, start=header_number + 1):
            if not any(v is not None and text(v) for v in cells):
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    break
                continue
            blank_run = 0
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise _FileRefused(
                    _("%(sheet)s có quá %(limit)s dòng; hãy chia nhỏ tệp.")
                    % {"sheet": title, "limit": f"{MAX_ROWS:,}".replace(",", ".")}
                )
            values: dict = {}
            errors: list[list[str]] = []
            for column in columns:
                index = positions[column.key]
                raw = cells[index] if index < len(cells) else None
                try:
                    value = parse_cell(column, raw)
                except ValueError as error:
                    errors.append([column.header, str(error)])
                    continue
                if value is not None:
                    values[column.key] = to_json(value)
            for column in columns:
                if positions[column.key] in merged.get(number, ()):
                    errors.append(
                        [column.header, _("Ô gộp: hãy bỏ gộp ô và ghi giá trị vào từng dòng.")]
                    )
            bad = {e[0] for e in errors}
            for key in REQUIRED[sheet]:
                if key not in values and header(sheet, key) not in bad:
                    errors.append([header(sheet, key), _("Cần nhập ô này.")])
            row = RosterImportRow(
                roster_import=self.ri, sheet=sheet, number=number, values=values, errors=errors
            )
            if sheet == Sheet.MEMBERS:
                self._member_key(row)
            else:
                self._event_key(row)
            self.add(row)

    def _member_key(self, row: RosterImportRow) -> None:
        v = row.values
        for key, seen in (("citizen_id", "cid"), ("party_card_no", "card")):
            if key in v:
                first = self.first_row_of.setdefault((seen, v[key]), row.number)
                if first != row.number:
                    message = _("Trùng với dòng %(row)s của tệp.") % {"row": first}
                    row.errors.append([header(Sheet.MEMBERS, key), message])
        if "citizen_id" in v:
            row.key = f"c:{v['citizen_id']}"
        elif "party_card_no" in v:
            row.key = f"p:{v['party_card_no']}"
        else:
            row.key = f"r:{row.number}"
        if "citizen_id" in v:
            self.members_by_cid.setdefault(v["citizen_id"], row.key)
        if "party_card_no" in v:
            self.members_by_card.setdefault(v["party_card_no"], row.key)
        if "full_name" in v and "date_of_birth" in v:
            person = (fold(v["full_name"]), v["date_of_birth"])
            first = self.same_person.setdefault(person, row.number)
            if first != row.number:
                row.duplicate_row = first

    def _event_key(self, row: RosterImportRow) -> None:
        v = row.values
        cid, card = v.get("citizen_id"), v.get("party_card_no")
        key = self.members_by_cid.get(cid) or self.members_by_card.get(card)
        if key is None and cid:
            key = f"c:{cid}"
        elif key is None and card:
            key = f"p:{card}"
        if key is None:
            key = f"r:e{row.number}"
            if not {header(Sheet.EVENTS, "citizen_id"), header(Sheet.EVENTS, "party_card_no")} & {
                e[0] for e in row.errors
            }:
                row.errors.append(
                    [
                        header(Sheet.EVENTS, "citizen_id"),
                        _("Cần ghi Số CCCD hoặc Số thẻ đảng viên của người có sự kiện này."),
                    ]
                )
        row.key = key


def stage(roster_import: RosterImport) -> bool:
    """Read the import's file into staged rows; False (and ``file_errors``) if it cannot be."""
    ri = roster_import
    ri.rows.all().delete()
    ri.file_errors = []
    data = bytes(ri.content)
    problem = sniff(data)
    if problem:
        ri.file_errors = [problem]
        return False
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # corrupt archives raise many kinds of errors: all mean the same here
        ri.file_errors = [_("Tệp bị hỏng hoặc không phải tệp Excel .xlsx.")]
        return False
    stager = _Stager(ri)
    try:
        with transaction.atomic():
            members_title, events_title = _pick_sheets(wb.sheetnames)
            stager.sheet(wb[members_title], Sheet.MEMBERS, members_title, required=True)
            if events_title is not None:
                stager.sheet(wb[events_title], Sheet.EVENTS, events_title, required=False)
            stager.flush()
            if not stager.count:
                raise _FileRefused(_("Tệp không có dòng đảng viên nào."))
    except _FileRefused as refused:
        ri.file_errors = [str(refused)]
    except DatabaseError:
        raise  # ours, not the file's: the import is marked failed
    except Exception:  # a broken sheet inside a valid archive fails only while streaming
        logger.warning("roster import %s: unreadable sheet", ri.pk, exc_info=True)
        ri.file_errors = [_("Tệp bị hỏng: không đọc được trang tính.")]
    finally:
        wb.close()
    ri.rows_total = 0 if ri.file_errors else stager.count
    return not ri.file_errors


# --- 2 and 3. planning and applying -----------------------------------------------------------


@dataclasses.dataclass
class _Item:
    """One step of a member's history as the import will write it."""

    row: RosterImportRow  # where an error is reported
    day: datetime.date
    order: int
    write: Callable[[Member], object]
    fields: dict[str, str]  # a service's field name -> the column key it stands for
    default: str  # the column key of errors that name no field


# Service field names → the members sheet's columns.
_ADMIT_FIELDS = {
    "decision_no": "admission_no",
    "decision_date": "admitted_on",
    "ceremony_date": "ceremony_date",
    "unit": "unit_code",
    **{key: key for key in RECORD_KEYS},
}
_ARRIVAL_FIELDS = {
    "decision_no": "arrival_no",
    "decision_date": "arrived_on",
    "effective_date": "arrived_on",
    "origin": "origin",
    "unit": "unit_code",
    "admitted_on": "admitted_on",
    "recognized_on": "recognized_on",
    "probationary": "recognized_on",
    **{key: key for key in RECORD_KEYS},
}
_RECOGNITION_FIELDS = {
    "decision_no": "recognition_no",
    "decision_date": "recognized_on",
    "effective_date": "recognized_on",
}
# Service field names → the events sheet's columns.
_EVENT_FIELDS = {
    "effective_date": "effective_date",
    "decision_no": "decision_no",
    "decision_date": "decision_date",
    "unit": "unit_code",
    "to_unit": "unit_code",
    "destination": "other_unit_name",
    "origin": "other_unit_name",
    "reason": "reason",
    "kind": "action",
    "ceremony_date": "ceremony_date",
    "date_of_birth": "action",
    "probationary": "action",
}
# Kinds of the events sheet that name a cell of this system in "Mã chi bộ".
_TO_UNIT = {
    EventAction.TRANSFER: True,
    EventAction.TRANSFER_IN: True,
    EventAction.RESTORATION: True,
    EventAction.READMISSION: True,
    EventAction.TEMPORARY_TRANSFER: False,  # optional: or a name outside the system
}


class _Refused(Exception):
    def __init__(self, row: RosterImportRow, column: str, message: str):
        self.row, self.column, self.message = row, column, message


def _chunks(rows_query, size: int) -> Iterator[list[RosterImportRow]]:
    """Staged rows in order, ``size`` at a time, by keyset (safe while the rows are updated)."""
    last = 0
    while True:
        chunk = list(rows_query.filter(number__gt=last).order_by("number")[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].number


class _Run:
    """One pass of planning and applying, for a check (each member rolled back) or a commit."""

    def __init__(self, ri: RosterImport, *, user, commit: bool, histories: bool = True):
        self.ri = ri
        self.user = user
        self.commit = commit
        self.histories = histories  # False: plan only (a commit follows at once and tries them)
        self.directives = {d.code: d for d in Directive.objects.all()}
        self.titles = {Sheet.MEMBERS: MEMBERS_SHEET, Sheet.EVENTS: EVENTS_SHEET}
        self.stale = False
        self.known: set[tuple] = set()  # see _known_events
        self.starts: dict[int, dict] = {}
        self.failed: dict[int, list] = {}  # commit: row pk -> errors, written after rollback

    # --- the whole file ---

    def run(self) -> None:
        member_rows = self.ri.rows.filter(sheet=Sheet.MEMBERS)
        for chunk in _chunks(member_rows, CHUNK):
            events = self._event_rows_of(chunk)
            self._plan_and_apply(chunk, events)
        # Events of members not on the members sheet: members already recorded.
        orphans = self.ri.rows.filter(sheet=Sheet.EVENTS).exclude(
            key__in=self.ri.rows.filter(sheet=Sheet.MEMBERS).values("key")
        )
        for keys in self._key_chunks(orphans):
            rows = list(orphans.filter(key__in=keys).order_by("number"))
            self._orphans(rows)

    def _key_chunks(self, rows_query) -> Iterator[list[str]]:
        last = ""
        while True:
            keys = list(
                rows_query.filter(key__gt=last)
                .order_by("key")
                .values_list("key", flat=True)
                .distinct()[:CHUNK]
            )
            if not keys:
                return
            yield keys
            last = keys[-1]

    def _event_rows_of(self, chunk: list[RosterImportRow]) -> dict[str, list[RosterImportRow]]:
        found: dict[str, list[RosterImportRow]] = defaultdict(list)
        keys = [r.key for r in chunk]
        for row in self.ri.rows.filter(sheet=Sheet.EVENTS, key__in=keys).order_by("number"):
            found[row.key].append(row)
        return found

    # --- shared lookups for a chunk ---

    def _units(self, rows: Iterable[RosterImportRow]) -> tuple[dict[str, Unit], set[int]]:
        codes = {r.values["unit_code"] for r in rows if "unit_code" in r.values}
        units = {u.code: u for u in Unit.objects.filter(code__in=codes)} if codes else {}
        if self.user is None or self.user.is_superuser:
            editable = {u.pk for u in units.values()}
        elif units:
            editable = set(
                Unit.objects.editable_by(self.user)
                .filter(pk__in=[u.pk for u in units.values()])
                .values_list("pk", flat=True)
            )
        else:
            editable = set()
        return units, editable

    def _may_edit_records(self, members: Iterable[Member]) -> set[int]:
        """The members (of ``members``) whose file the user may change."""
        ids = [m.pk for m in members]
        if self.user is None or self.user.is_superuser or not ids:
            return set(ids)
        return set(
            Member.objects.editable_by(self.user).filter(pk__in=ids).values_list("pk", flat=True)
        )

    def _known_events(self, members: Iterable[Member]) -> set[tuple]:
        """(member, kind, date, decision number) of the events already recorded; and, in
        ``self.starts``, what the members sheet says of each member's start: the cell they
        joined, the date of their first admission, of their first recognition."""
        ids = [m.pk for m in members]
        known: set[tuple] = set()
        self.starts: dict[int, dict] = {}
        if not ids:
            return known
        rows = Event.objects.filter(member__in=ids).order_by("member_id", "effective_date", "pk")
        for member_id, kind, day, number, unit_id in rows.values_list(
            "member_id", "kind", "effective_date", "decision_no", "unit_id"
        ):
            known.add((member_id, kind, day, number))
            start = self.starts.get(member_id)
            if start is None:
                admitted = day if kind == K.ADMISSION else None
                self.starts[member_id] = {"unit": unit_id, "admitted": admitted, "recognized": None}
            elif kind == K.RECOGNITION and start["recognized"] is None:
                start["recognized"] = day
        self.known = known
        return known

    # --- a chunk of members ---

    def _plan_and_apply(
        self, chunk: list[RosterImportRow], events: dict[str, list[RosterImportRow]]
    ) -> None:
        units, editable = self._units([*chunk, *(r for rs in events.values() for r in rs)])
        values = {r.pk: decode(Sheet.MEMBERS, r.values) for r in chunk}
        cids = {v["citizen_id"] for v in values.values() if "citizen_id" in v}
        cards = {v["party_card_no"] for v in values.values() if "party_card_no" in v}
        members = Member.objects.select_related("unit", "record_unit")
        by_cid = {m.citizen_id: m for m in members.filter(citizen_id__in=cids)} if cids else {}
        by_card = (
            {m.party_card_no: m for m in members.filter(party_card_no__in=cards)} if cards else {}
        )
        matched = {m.pk: m for m in [*by_cid.values(), *by_card.values()]}
        may_edit = self._may_edit_records(matched.values())
        known = self._known_events(matched.values())
        people = self._people_like(chunk, values, by_cid, by_card)

        for row in chunk:
            # What the check planned (a skip is the user's decision on a planned creation).
            planned = Action.CREATE if row.action == Action.SKIP else row.action
            before = (planned, row.member_id, row.member_version)
            v = values[row.pk]
            row.notes, row.changes = [], {}
            member = by_cid.get(v.get("citizen_id"))
            card_owner = by_card.get(v.get("party_card_no"))
            if member is not None and card_owner is not None and card_owner.pk != member.pk:
                self._error(
                    row,
                    "party_card_no",
                    _("Số thẻ này thuộc hồ sơ “%(card)s”, còn số CCCD thuộc hồ sơ “%(cid)s”.")
                    % {"card": card_owner, "cid": member},
                )
            member = member or card_owner
            if member is None:
                self._plan_new(row, v, units, editable, people)
            else:
                self._plan_existing(row, v, member, may_edit, units)
            planned = Action.CREATE if row.action == Action.SKIP else row.action
            if self.commit and (planned, row.member_id, row.member_version) != before:
                self._stale(row)
            event_rows = events.get(row.key, [])
            if row.action == Action.SKIP:
                for event_row in event_rows:
                    event_row.action = Action.SKIP
            else:
                self._plan_events(
                    event_rows, member, units, editable, known, may_edit, v.get("full_name")
                )
            self._apply(row, v, member, event_rows, units)
        self._save([*chunk, *(r for rs in events.values() for r in rs)])

    def _people_like(self, chunk, values, by_cid, by_card) -> dict[tuple, Member]:
        """Members already recorded with the same folded name and date of birth as a new row."""
        new = [
            (fold(v["full_name"]), v["date_of_birth"])
            for r in chunk
            if "full_name" in (v := values[r.pk])
            and "date_of_birth" in v
            and v.get("citizen_id") not in by_cid
            and v.get("party_card_no") not in by_card
        ]
        if not new:
            return {}
        found: dict[tuple[str, datetime.date], Member] = {}
        for m in Member.objects.filter(
            name_folded__in={name for name, _born in new},
            date_of_birth__in={born for _name, born in new},
        ).order_by("pk"):
            found.setdefault((m.name_folded, m.date_of_birth), m)
        return found

    def _plan_new(self, row, v, units, editable, people) -> None:
        row.member_id, row.member_version = None, None
        like = None
        if "full_name" in v and "date_of_birth" in v:
            like = people.get((fold(v["full_name"]), v["date_of_birth"]))
        if like is not None:
            row.duplicate_of = _(
                "Trùng họ tên và ngày sinh với hồ sơ “%(member)s” (mã %(pk)s)."
            ) % {"member": like, "pk": like.pk}
        elif row.duplicate_row is not None:
            row.duplicate_of = _("Trùng họ tên và ngày sinh với dòng %(row)s của tệp.") % {
                "row": row.duplicate_row
            }
        else:
            row.duplicate_of = ""
        row.action = Action.SKIP if row.decision == row.Decision.SKIP else Action.CREATE
        if row.action == Action.SKIP:
            return
        if self.commit and row.duplicate_of and not row.decision:
            self._error(row, "", _("Dòng này mới bị nghi trùng từ khi kiểm tra; hãy kiểm tra lại."))
        code = v.get("unit_code")
        if code and code not in units:
            self._error(row, "unit_code", _("Không có chi bộ mã “%(code)s”.") % {"code": code})
        elif code and not units[code].holds_members:
            self._error(
                row, "unit_code", _("“%(unit)s” không phải chi bộ.") % {"unit": units[code]}
            )
        elif code and units[code].pk not in editable:
            self._error(
                row,
                "unit_code",
                _("Bạn không có quyền nhập đảng viên vào “%(unit)s”.") % {"unit": units[code]},
            )
        if v.get("directive") and v["directive"] not in self.directives:
            self._error(
                row, "directive", _("Không có chỉ thị “%(code)s”.") % {"code": v["directive"]}
            )
        admission = "admission_no" in v
        arrival = [k for k in ("origin", "arrived_on", "arrival_no") if k in v]
        if admission and arrival:
            self._error(
                row,
                "origin",
                _("Một người hoặc được kết nạp, hoặc được tiếp nhận: không ghi cả hai."),
            )
        elif admission:
            if "admitted_on" not in v:
                message = _("Cần ghi ngày vào Đảng (ngày quyết định kết nạp).")
                self._require(row, "admitted_on", message)
        elif arrival:
            for key in ("origin", "arrived_on", "arrival_no", "admitted_on"):
                if key not in v:
                    self._require(row, key, _("Cần nhập ô này cho đảng viên chuyển đến."))
        else:
            self._require(
                row,
                "admission_no",
                _(
                    "Cần ghi Số quyết định kết nạp (người được kết nạp), hoặc Chuyển đến từ, "
                    "Ngày chuyển đến và Số quyết định tiếp nhận (người chuyển đến)."
                ),
            )
        if "recognition_no" in v and "recognized_on" not in v:
            self._require(row, "recognized_on", _("Có số quyết định công nhận nhưng thiếu ngày."))

    def _plan_existing(self, row, v, member: Member, may_edit: set[int], units) -> None:
        row.member_id, row.member_version = member.pk, member.version
        if row.duplicate_of:
            row.duplicate_of = ""  # matched by ID: the same person, not a look-alike
        for key in RECORD_KEYS:
            new = v.get(key)
            if new is None:
                continue  # a blank cell leaves the record as it is (never clears an ID)
            old = getattr(member, key)
            if new != old:
                row.changes[key] = [to_json(old), to_json(new)]
        row.action = Action.UPDATE if row.changes else Action.UNCHANGED
        if row.changes and member.pk not in may_edit:
            self._error(row, "", _("Bạn không có quyền sửa hồ sơ của đảng viên này."))
        # The sheet tells how the member started here; the record may have moved on since.
        start = self.starts.get(member.pk, {})
        unit = units.get(v.get("unit_code"))
        if unit is not None and start.get("unit") not in (None, unit.pk):
            row.notes.append(
                _(
                    "Chi bộ trong tệp (%(file)s) khác chi bộ kết nạp hoặc tiếp nhận trong hồ sơ: "
                    "không đổi (chuyển sinh hoạt ghi ở trang Sự kiện)."
                )
                % {"file": unit.code}
            )
        admitted = start.get("admitted") or member.admitted_on
        if "admitted_on" in v and v["admitted_on"] != admitted:
            row.notes.append(_("Ngày vào Đảng trong tệp khác hồ sơ: không đổi."))
        recognized = {start.get("recognized"), member.recognized_on}
        to_recognize = "recognition_no" in v and member.status == MemberStatus.PROBATIONARY
        if "recognized_on" in v and v["recognized_on"] not in recognized and not to_recognize:
            row.notes.append(_("Ngày chính thức trong tệp khác hồ sơ: không đổi."))

    def _plan_events(
        self, rows, member: Member | None, units, editable, known, may_edit, name=None
    ) -> None:
        """Plan the event rows of one member (``None``: a member this import creates)."""
        for row in rows:
            row.notes = []
            v = decode(Sheet.EVENTS, row.values)
            action = v.get("action")
            if member is not None and action and "effective_date" in v:
                kind = K.TRANSFER_OUT if action == EventAction.TRANSFER else action
                if (member.pk, kind, v["effective_date"], v.get("decision_no", "")) in known:
                    row.action = Action.KNOWN_EVENT
                    continue
            row.action = Action.NEW_EVENT
            expected = member.full_name if member is not None else name
            if expected and v.get("full_name") and fold(v["full_name"]) != fold(expected):
                self._error(
                    row,
                    "full_name",
                    _("Họ tên khác hồ sơ có số này (“%(name)s”): kiểm tra lại số CCCD, số thẻ.")
                    % {"name": expected},
                )
            if member is not None and member.pk not in may_edit:
                self._error(row, "", _("Bạn không có quyền ghi sự kiện cho đảng viên này."))
            code = v.get("unit_code")
            if action in _TO_UNIT and code:
                if code not in units:
                    self._error(
                        row, "unit_code", _("Không có chi bộ mã “%(code)s”.") % {"code": code}
                    )
                elif units[code].pk not in editable and action != EventAction.TEMPORARY_TRANSFER:
                    self._error(
                        row,
                        "unit_code",
                        _("Bạn không có quyền nhập đảng viên vào “%(unit)s”.")
                        % {"unit": units[code]},
                    )
            elif _TO_UNIT.get(action) and not code:
                self._require(row, "unit_code", _("Cần ghi mã chi bộ đến."))
            if v.get("directive") and v["directive"] not in self.directives:
                self._error(
                    row, "directive", _("Không có chỉ thị “%(code)s”.") % {"code": v["directive"]}
                )

    def _orphans(self, rows: list[RosterImportRow]) -> None:
        """Event rows of members who are not on the members sheet: found in the database."""
        cids = {r.values["citizen_id"] for r in rows if "citizen_id" in r.values}
        cards = {r.values["party_card_no"] for r in rows if "party_card_no" in r.values}
        by_cid = {m.citizen_id: m for m in Member.objects.filter(citizen_id__in=cids)}
        by_card = {m.party_card_no: m for m in Member.objects.filter(party_card_no__in=cards)}
        units, editable = self._units(rows)
        grouped: dict[str, list[RosterImportRow]] = defaultdict(list)
        for row in rows:
            grouped[row.key].append(row)
        members = {}
        for key, group in grouped.items():
            first = group[0].values
            member = by_cid.get(first.get("citizen_id")) or by_card.get(first.get("party_card_no"))
            members[key] = member
        found = [m for m in members.values() if m is not None]
        known = self._known_events(found)
        may_edit = self._may_edit_records(found)
        for key, group in grouped.items():
            member = members[key]
            if member is None:
                for row in group:
                    row.action = Action.NONE
                    if not row.errors:
                        self._error(
                            row,
                            "citizen_id",
                            _(
                                "Không tìm thấy đảng viên có số này, ở trang Đảng viên hay "
                                "trong hệ thống."
                            ),
                        )
                continue
            self._plan_events(group, member, units, editable, known, may_edit)
            self._apply(None, None, member, group, units)
        self._save(rows)

    # --- applying one member's history ---

    def _error(self, row: RosterImportRow, key: str, message: str) -> None:
        column = header(row.sheet, key) if key else ""
        if [column, message] not in row.errors:
            row.errors.append([column, message])

    def _require(self, row: RosterImportRow, key: str, message: str) -> None:
        """A blank cell that the row needs; unless that cell was already unreadable."""
        if not any(e[0] == header(row.sheet, key) for e in row.errors):
            self._error(row, key, message)

    def _stale(self, row: RosterImportRow) -> None:
        self.stale = True
        self._error(row, "", _("Dữ liệu đã thay đổi từ khi kiểm tra tệp; hãy kiểm tra lại."))

    def _decision(self, v: dict, *, number_key: str, date: datetime.date | None, body=None):
        directive = self.directives.get(v.get("directive", ""))
        return services.Decision(
            number=v.get(number_key, ""),
            date=date,
            issuing_body=v.get("issuing_body", "") if body is None else body,
            directive=directive,
            notes=v.get("notes", ""),
        )

    def _items(self, row, v, member, event_rows, units) -> list[_Item]:
        items: list[_Item] = []
        creating = row is not None and row.action == Action.CREATE
        if creating:
            items.append(self._start(row, v, units))
        if row is not None and "recognized_on" in v and "recognition_no" in v:
            arrival_official = (
                creating
                and "admission_no" not in v
                and "arrived_on" in v
                and v["recognized_on"] <= v["arrived_on"]
            )
            recorded = (
                member is not None
                and (member.pk, K.RECOGNITION, v["recognized_on"], v["recognition_no"])
                in self.known
            )
            due = creating or member.status == MemberStatus.PROBATIONARY
            if due and not arrival_official and not recorded:
                decision = services.Decision(
                    number=v["recognition_no"],
                    date=v["recognized_on"],
                    issuing_body=v.get("issuing_body", ""),
                )
                items.append(
                    _Item(
                        row,
                        v["recognized_on"],
                        1,
                        lambda m, d=decision, day=v["recognized_on"]: services.member_recognize(
                            member=m, effective_date=day, decision=d, user=self.user
                        ),
                        _RECOGNITION_FIELDS,
                        "recognized_on",
                    )
                )
        for event_row in event_rows:
            if event_row.action == Action.NEW_EVENT and not event_row.errors:
                items.append(self._event(event_row, units))
        items.sort(key=lambda i: (i.order != 0, i.day, i.order))
        return items

    def _start(self, row, v, units) -> _Item:
        unit = units.get(v.get("unit_code"))
        record = {k: v[k] for k in RECORD_KEYS if k in v}
        if "admission_no" in v:
            day = v["admitted_on"]
            decision = self._decision(v, number_key="admission_no", date=day)

            def write(_member, record=record, decision=decision, v=v):
                member = Member(**record)
                services.member_admit(
                    member=member,
                    unit=unit,
                    decision=decision,
                    ceremony_date=v.get("ceremony_date", day),
                    sponsors=v.get("sponsors", ""),
                    user=self.user,
                )
                return member

            return _Item(row, day, 0, write, _ADMIT_FIELDS, "")
        day = v["arrived_on"]
        decision = self._decision(v, number_key="arrival_no", date=day)
        recognized = v.get("recognized_on")
        official = recognized is not None and recognized <= day

        def arrive(_member, record=record, decision=decision, v=v):
            member = Member(
                **record,
                admitted_on=v["admitted_on"],
                recognized_on=recognized if official else None,
            )
            services.member_transfer_in(
                member=member,
                unit=unit,
                origin=v["origin"],
                effective_date=day,
                decision=decision,
                probationary=not official,
                user=self.user,
            )
            return member

        return _Item(row, day, 0, arrive, _ARRIVAL_FIELDS, "")

    def _event(self, row: RosterImportRow, units) -> _Item:
        v = decode(Sheet.EVENTS, row.values)
        action = v["action"]
        day = v["effective_date"]
        unit = units.get(v.get("unit_code"))
        decided_on = v.get("decision_date", day)
        if action == EventAction.DEATH and "decision_no" not in v:
            decision = (
                None
                if "decision_date" not in v
                else self._decision(v, number_key="decision_no", date=decided_on)
            )
        else:
            decision = self._decision(v, number_key="decision_no", date=decided_on)
        user = self.user
        other = v.get("other_unit_name", "")
        S = services

        def write(member: Member):
            if action == EventAction.TRANSFER:
                return S.member_transfer(
                    member=member, to_unit=unit, effective_date=day, decision=decision, user=user
                )
            if action == EventAction.TRANSFER_OUT:
                return S.member_transfer_out(
                    member=member,
                    destination=other,
                    effective_date=day,
                    decision=decision,
                    user=user,
                )
            if action == EventAction.TRANSFER_IN:
                return S.member_transfer_in(
                    member=member,
                    unit=unit,
                    origin=other,
                    effective_date=day,
                    decision=decision,
                    probationary=member.recognized_on is None,
                    user=user,
                )
            if action == EventAction.TEMPORARY_TRANSFER:
                return S.member_temporary_transfer(
                    member=member,
                    destination=other,
                    to_unit=unit,
                    effective_date=day,
                    decision=decision,
                    user=user,
                )
            if action == EventAction.RECOGNITION:
                return S.member_recognize(
                    member=member, effective_date=day, decision=decision, user=user
                )
            if action in Event.REMOVAL_KINDS:
                return S.member_remove(
                    member=member,
                    kind=action,
                    reason=v.get("reason", ""),
                    effective_date=day,
                    decision=decision,
                    user=user,
                )
            if action == EventAction.DEATH:
                return S.member_record_death(
                    member=member, effective_date=day, decision=decision, user=user
                )
            if action == EventAction.EXEMPTION:
                return S.member_exempt(
                    member=member, effective_date=day, decision=decision, user=user
                )
            if action == EventAction.RESTORATION:
                return S.member_restore(
                    member=member, unit=unit, effective_date=day, decision=decision, user=user
                )
            if decided_on != day:
                message = _("Kết nạp lại tính từ ngày quyết định: ghi hai ngày như nhau.")
                raise ValidationError({"decision_date": message})
            return S.member_readmit(
                member=member,
                unit=unit,
                decision=decision,
                ceremony_date=v.get("ceremony_date", day),
                sponsors=v.get("sponsors", ""),
                user=user,
            )

        return _Item(row, day, 2 + row.number, write, _EVENT_FIELDS, "action")

    def _apply(self, row, v, member, event_rows, units) -> None:
        """Write the member's history (the record's changes, then each step in date order), in a
        savepoint; in a check, or when a step is refused, it is rolled back."""
        if not self.histories or (row is not None and (row.errors or row.action == Action.SKIP)):
            return
        if any(r.errors for r in event_rows if r.action == Action.NEW_EVENT):
            return
        items = self._items(row, v, member, event_rows, units)
        if not items and not (row is not None and row.changes):
            return
        try:
            with transaction.atomic():
                try:
                    if row is not None and row.changes:
                        member = self._update_record(row, member)
                    for item in items:
                        result = self._step(item, member)
                        member = result if isinstance(result, Member) else member
                        member.refresh_from_db()
                    if row is not None and row.member_id is None and self.commit:
                        row.member = member  # the preview links the new record
                except _Refused as refused:
                    self._error(refused.row, refused.column, refused.message)
                    transaction.set_rollback(True)
                    return
                if not self.commit:
                    transaction.set_rollback(True)
        except IntegrityError:  # a rule the checks above missed; the database held
            target = row if row is not None else event_rows[0]
            self._error(target, "", _("Dữ liệu vi phạm ràng buộc của cơ sở dữ liệu."))

    def _step(self, item: _Item, member: Member | None):
        try:
            return item.write(member)
        except ValidationError as error:
            sheet = item.row.sheet
            if hasattr(error, "error_dict"):
                field, messages = next(iter(error.message_dict.items()))
                key = item.fields.get(field, item.default)
            else:
                key, messages = item.default, error.messages
            key = key if key in {c.key for c in COLUMNS[sheet]} else ""
            raise _Refused(item.row, key, messages[0]) from None

    def _update_record(self, row: RosterImportRow, member: Member) -> Member:
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.version != row.member_version:
            raise _Refused(row, "", _("Hồ sơ đã được sửa sau khi kiểm tra tệp; hãy kiểm tra lại."))
        changed = decode(Sheet.MEMBERS, {k: new for k, (_old, new) in row.changes.items()})
        for key, new in changed.items():
            setattr(member, key, new)
        member.version += 1
        try:
            member.full_clean()
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise _Refused(row, field if field in RECORD_KEYS else "", messages[0]) from None
        services.member_record_save(
            member=member, update_fields=[*changed, "version", "updated_at"]
        )
        return member

    def _save(self, rows: list[RosterImportRow]) -> None:
        for row in rows:
            row.error_count = len(row.errors)
        if self.commit:
            for row in rows:
                if row.errors:
                    self.failed[row.pk] = row.errors
        # Rewritten whole (delete, then insert with the same keys): bulk_update builds a CASE
        # per field and row, which costs ~7 ms a row in Python; this costs two statements.
        # Nothing refers to staged rows, and they are re-read by number, not by position.
        RosterImportRow.objects.filter(pk__in=[r.pk for r in rows]).delete()
        RosterImportRow.objects.bulk_create(rows, batch_size=BATCH)
        if not self.commit:
            self.ri.rows_done = min(self.ri.rows_done + len(rows), self.ri.rows_total)
            RosterImport.objects.filter(pk=self.ri.pk).update(rows_done=self.ri.rows_done)


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
    """Every error as "Sheet!row, column: message", in the file's order."""
    found = list(ri.file_errors)
    rows = ri.rows.filter(error_count__gt=0).order_by("sheet", "number")
    # the members sheet first ("events" < "members" alphabetically)
    ordered = [*rows.filter(sheet=Sheet.MEMBERS), *rows.filter(sheet=Sheet.EVENTS)]
    for row in ordered:
        title = MEMBERS_SHEET if row.sheet == Sheet.MEMBERS else EVENTS_SHEET
        for column, message in sorted(row.errors, key=lambda e: column_order(row.sheet, e[0])):
            where = f"{title}!{row.number}" + (f", {column}" if column else "")
            found.append(f"{where}: {message}")
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
            _Run(ri, user=user, commit=False, histories=histories).run()
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
        run = _Run(ri, user=user, commit=True)
        with transaction.atomic():
            run.run()
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
