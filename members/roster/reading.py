"""Reading a roster workbook into staged rows, ``RosterImportRow``: step 1 of an import.

``stage()`` streams the uploaded file (openpyxl read-only) into staged rows, a thousand at a
time: every cell parsed, every bad cell an error with its sheet, row and column. Problems with
the file as a whole (not an .xlsx, password, no header row, too big, …) go to
``RosterImport.file_errors``. Memory does not grow with the number of rows beyond two small
maps of IDs (to find each event's member).

The limits a file must keep (size, rows a sheet) are the workflow's, ``importing.MAX_BYTES``
and ``importing.MAX_ROWS``: they are passed in, so this module depends on no other step.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import defaultdict

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from common.textcheck import text_problem
from common.vntext import fold

from ..models import RosterImport, RosterImportRow
from ..rules import citizen_id_problem
from . import bounds
from .columns import (
    COLUMNS,
    EVENTS_SHEET,
    GUIDE_SHEET,
    LISTS_SHEET,
    MEMBERS_SHEET,
    REQUIRED,
    Sheet,
    header,
    located,
    match_headers,
    parse_cell,
    text,
    to_json,
)

logger = logging.getLogger(__name__)

# Blank rows are skipped wherever they are, however many: a stretch of them never ends the read
# (a member after 1,200 blank rows is read). What bounds the reading is ``bounds``: the rows
# of a sheet, the cells of a row and the characters of a cell, checked before it.
HEADER_SEARCH_ROWS = 10
BATCH = 1_000  # staged rows written at a time

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def sniff(data: bytes, *, max_bytes: int) -> str | None:
    """A message when ``data`` cannot be an .xlsx we read, found before openpyxl opens it."""
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

    def __init__(self, roster_import: RosterImport, *, max_rows: int, codes=None):
        self.ri = roster_import
        self.aliases = roster_import.column_map or {}  # another shape's headers (mapping.py)
        self.codes = codes or {}  # column key -> {written, folded: code}
        self.max_rows = max_rows  # data rows a sheet
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
        rows = _rows(ws)
        positions = None
        header_number = 0
        for number, (cells, _formulas) in enumerate(rows, start=1):
            if any(text(v) for v in cells):
                positions, missing, unknown = match_headers(sheet, cells, self.aliases.get(sheet))
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
                        located(
                            title,
                            number,
                            "",
                            _("dòng tiêu đề sai (%(problems)s).")
                            % {"problems": "; ".join(problems)},
                        )
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
        data_rows = 0
        for number, (cells, formulas) in enumerate(rows, start=header_number + 1):
            if not any(v is not None and text(v) for v in cells):
                continue
            data_rows += 1
            if data_rows > self.max_rows:
                raise _FileRefused(
                    _("%(sheet)s có quá %(limit)s dòng; hãy chia nhỏ tệp.")
                    % {"sheet": title, "limit": f"{self.max_rows:,}".replace(",", ".")}
                )
            values: dict = {}
            errors: list[list[str]] = []
            for column in columns:
                index = positions[column.key]
                raw = cells[index] if index < len(cells) else None
                try:
                    if column.kind == "text" and isinstance(raw, str) and index not in formulas:
                        value = _stored_text(column, raw)
                    else:
                        value = parse_cell(column, raw, self.codes.get(column.key))
                except ValueError as error:
                    errors.append([column.header, str(error)])
                    continue
                if problem := _text_problem(column.kind, value):
                    errors.append([column.header, problem])
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


def _rows(ws):
    """Each row's values, and the (0-based) columns of its formula cells: a cell stored as
    text that starts with "=" (as our exports write "=1+1") is text, not a formula."""
    for cells in ws.iter_rows():
        yield (
            tuple(c.value for c in cells),
            {i for i, c in enumerate(cells) if c.data_type == "f"},
        )


def _stored_text(column, raw: str) -> str | None:
    """A text cell's value when the cell is stored as text: ``parse_cell`` less the formula
    check (that cell is no formula, whatever it starts with)."""
    if raw.lstrip().startswith("="):
        written = text(raw)
        if len(written) > column.max_length:
            raise ValueError(_("Dài quá %(limit)s ký tự.") % {"limit": column.max_length})
        return written or None
    return parse_cell(column, raw)


def _text_problem(kind: str, value) -> str | None:
    """The checks the forms make too: text a person could type, a CCCD's structure."""
    if not isinstance(value, str):
        return None
    if kind == "citizen_id":
        return citizen_id_problem(value)
    return text_problem(value)


def open_workbook(data: bytes, *, max_bytes: int):
    """The workbook in ``data`` opened read-only, or the message saying why it is refused:
    ``sniff``, then what it unpacks to (``bounds.check``), before openpyxl parses any of it."""
    problem = sniff(data, max_bytes=max_bytes)
    if problem:
        return None, problem
    try:
        bounds.check(data)
    except bounds.Refused as refused:
        return None, str(refused)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False), None
    except Exception:  # corrupt archives raise many kinds of errors: all mean the same here
        return None, _("Tệp bị hỏng hoặc không phải tệp Excel .xlsx.")


def stage(roster_import: RosterImport, *, max_bytes: int, max_rows: int, codes=None) -> bool:
    """Read the import's file into staged rows; False (and ``file_errors``) if it cannot be.
    ``max_bytes``: the largest file read; ``max_rows``: the most data rows a sheet may have."""
    ri = roster_import
    ri.rows.all().delete()
    ri.file_errors = []
    data = bytes(ri.content)
    wb, problem = open_workbook(data, max_bytes=max_bytes)
    if problem:
        ri.file_errors = [problem]
        return False
    stager = _Stager(ri, max_rows=max_rows, codes=codes)
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
