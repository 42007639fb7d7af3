"""Import and export of member rosters as Excel workbooks (the boards keep their rolls in Excel).

Three steps, each safe on its own:

- ``read_roster(path)`` reads a file into a ``Preview``: every row parsed, matched to the
  existing members (citizen ID, else party card number) and planned as "create", "update" or
  "unchanged"; every problem is a ``RowError`` (sheet, row, column, Vietnamese message), never
  an exception. Likely duplicates (same folded name and date of birth, no ID match) are flagged,
  never merged. Nothing is written.
- ``commit_roster(preview)`` writes it, all or nothing, in one transaction: new members go
  through ``members.services`` (admission, then recognition when a "ngày chính thức" is given),
  updates change only the record's own fields. The plan is re-made inside the transaction (the
  preview may be stale); any error raises ``RosterError`` and the transaction rolls back.
- ``export_roster(queryset, path)`` writes the same shape, so an export imports back.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from branches.models import Unit

from . import choices, services
from .models import Event, Member
from .text import fold, normalize_spaces

SHEET = "Đảng viên"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
# Formatted but empty rows at the end of a sheet are skipped; this many in a row end the read.
MAX_BLANK_RUN = 1_000
HEADER_SEARCH_ROWS = 10
DATE_FORMAT = "DD/MM/YYYY"

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int = 16


COLUMNS = (
    Column("unit_code", "Mã chi bộ", 18),
    Column("full_name", "Họ và tên", 28),
    Column("gender", "Giới tính", 10),
    Column("date_of_birth", "Ngày sinh", 12),
    Column("citizen_id", "Số CCCD", 16),
    Column("party_card_no", "Số thẻ đảng viên", 16),
    Column("ethnicity", "Dân tộc", 12),
    Column("religion", "Tôn giáo", 18),
    Column("admitted_on", "Ngày vào Đảng", 14),
    Column("admission_no", "Số quyết định kết nạp", 20),
    Column("ceremony_date", "Ngày lễ kết nạp", 14),
    Column("recognized_on", "Ngày chính thức", 14),
    Column("recognition_no", "Số quyết định công nhận", 20),
)
HEADERS = {c.key: c.header for c in COLUMNS}
REQUIRED = ("unit_code", "full_name", "gender", "date_of_birth")
# New members are admitted by the import: their admission decision is required too.
REQUIRED_TO_CREATE = ("admitted_on", "admission_no")
DATE_KEYS = ("date_of_birth", "admitted_on", "ceremony_date", "recognized_on")
# The member record's own fields that an import may change on an existing member.
RECORD_KEYS = (
    "full_name",
    "gender",
    "date_of_birth",
    "citizen_id",
    "party_card_no",
    "ethnicity",
    "religion",
)

GENDERS = {fold(str(label)): value for value, label in choices.Gender.choices}
ETHNICITIES = {fold(str(label)): value for value, label in choices.Ethnicity.choices}
RELIGIONS = {fold(str(label)): value for value, label in choices.Religion.choices}


# --- results ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None
    column: str  # the column's header ("" for the whole file or row)
    message: str

    def __str__(self) -> str:
        where = self.sheet or "Tệp"
        if self.row is not None:
            where += f"!{self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


@dataclasses.dataclass
class RosterRow:
    number: int  # the row's number in the sheet
    values: dict  # parsed values by column key (missing keys: blank cells)
    action: str = ""
    member_id: int | None = None
    version: int | None = None  # the matched record's version when read (stale-preview check)
    changes: dict = dataclasses.field(default_factory=dict)  # key -> (old, new)
    duplicate_of: str = ""  # why the row looks like a person already known
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Preview:
    path: str
    sheet: str = SHEET
    rows: list[RosterRow] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def duplicates(self) -> list[RosterRow]:
        return [r for r in self.rows if r.duplicate_of]

    def summary(self) -> dict[str, int]:
        return {
            CREATE: self.count(CREATE),
            UPDATE: self.count(UPDATE),
            UNCHANGED: self.count(UNCHANGED),
            "duplicates": len(self.duplicates),
            "errors": len(self.errors),
        }


class RosterError(Exception):
    """The import was refused; ``errors`` says where and why. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- the template and the export -------------------------------------------------------------


GUIDE = [
    "HƯỚNG DẪN NHẬP DANH SÁCH ĐẢNG VIÊN",
    "",
    "1. Mỗi dòng của trang “Đảng viên” là một đảng viên; giữ nguyên dòng tiêu đề.",
    "2. Mã chi bộ: mã đơn vị của chi bộ (hoặc chi bộ cơ sở) đảng viên đang sinh hoạt.",
    "3. Bắt buộc: Mã chi bộ, Họ và tên, Giới tính, Ngày sinh, Ngày vào Đảng, "
    "Số quyết định kết nạp.",
    "4. Ngày tháng ghi theo dạng dd/mm/yyyy (ví dụ 17/05/1985) hoặc định dạng ngày của Excel.",
    "5. Số CCCD gồm đúng 12 chữ số; nên định dạng cột là văn bản để giữ số 0 ở đầu.",
    "6. Giới tính, Dân tộc, Tôn giáo: chọn trong danh sách thả xuống.",
    "7. Ngày lễ kết nạp: để trống nếu trùng ngày quyết định kết nạp.",
    "8. Ngày chính thức (nếu đã được công nhận) phải sau lễ kết nạp ít nhất 12 tháng, "
    "kèm số quyết định công nhận.",
    "9. Không dùng công thức (=...) trong ô; dán giá trị.",
    "10. Đảng viên đã có trong hệ thống được nhận ra theo số CCCD, nếu không có thì theo số thẻ "
    "đảng viên; chỉ các thông tin hồ sơ được cập nhật. Người trùng họ tên và ngày sinh được "
    "đánh dấu để kiểm tra, không tự gộp.",
    "11. Tệp có lỗi thì không dòng nào được nhập.",
]


def _header_row(ws) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"


def template_workbook() -> Workbook:
    """An empty roster: headers, an instructions sheet, and drop-down lists for coded columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _header_row(ws)
    for key in DATE_KEYS:
        letter = _letter(key)
        for row in range(2, 1001):
            ws[f"{letter}{row}"].number_format = DATE_FORMAT
    for key in ("citizen_id", "party_card_no"):
        for row in range(2, 1001):
            ws[f"{_letter(key)}{row}"].number_format = "@"

    guide = wb.create_sheet(GUIDE_SHEET)
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 110

    lists = wb.create_sheet(LISTS_SHEET)
    for index, labels in enumerate(
        (
            [str(label) for _, label in choices.Gender.choices],
            [str(label) for _, label in choices.Ethnicity.choices],
            [str(label) for _, label in choices.Religion.choices],
        ),
        start=1,
    ):
        for row, label in enumerate(labels, start=1):
            lists.cell(row=row, column=index, value=label)
        letter = get_column_letter(index)
        key = ("gender", "ethnicity", "religion")[index - 1]
        validation = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(labels)}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=HEADERS[key],
            error=f"Chọn {HEADERS[key].lower()} trong danh sách.",
        )
        validation.add(f"{_letter(key)}2:{_letter(key)}1000")
        ws.add_data_validation(validation)
    lists.sheet_state = "hidden"
    return wb


def _letter(key: str) -> str:
    return get_column_letter([c.key for c in COLUMNS].index(key) + 1)


def roster_rows(queryset) -> Iterator[list]:
    """One list of values per member, in the columns' order (the report; renderers write it)."""
    relevant = Event.objects.filter(
        kind__in=[*Event.ADMISSION_KINDS, Event.Kind.RECOGNITION]
    ).order_by("effective_date", "pk")
    members = queryset.select_related("unit", "record_unit").prefetch_related(
        Prefetch("events", queryset=relevant, to_attr="roster_events")
    )
    for member in members.iterator(chunk_size=500):
        admission = recognition = None
        for event in member.roster_events:
            if event.kind in Event.ADMISSION_KINDS:
                admission, recognition = event, None  # a re-admission starts over
            else:
                recognition = event
        unit = member.unit or member.record_unit
        yield [
            unit.code,
            member.full_name,
            member.get_gender_display(),
            member.date_of_birth,
            member.citizen_id,
            member.party_card_no,
            member.get_ethnicity_display(),
            member.get_religion_display(),
            member.admitted_on,
            admission.decision_no if admission else "",
            admission.ceremony_date if admission else None,
            member.recognized_on,
            recognition.decision_no if recognition else "",
        ]


def export_roster(queryset, path) -> int:
    """Write the members of ``queryset`` in the import's shape (write-only); returns the count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    count = 0
    for values in roster_rows(queryset):
        row = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, datetime.date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, str):
                cell.number_format = "@"
            row.append(cell)
        ws.append(row)
        count += 1
    guide = wb.create_sheet(GUIDE_SHEET)
    for line in GUIDE:
        guide.append([line])
    wb.save(path)
    return count


# --- reading ---------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def _sniff(path, max_bytes: int) -> str | None:
    """A message when the file cannot be an .xlsx we read, looked at before openpyxl opens it."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return "Không mở được tệp."
    if size > max_bytes:
        return (
            f"Tệp quá lớn ({size / 1024 / 1024:.1f} MB); "
            f"giới hạn là {max_bytes / 1024 / 1024:g} MB."
        )
    if size == 0:
        return "Tệp rỗng."
    with open(path, "rb") as f:
        head = f.read(8)
        if head == _OLE_MAGIC:
            # An encrypted .xlsx is an OLE file holding an "EncryptedPackage" stream; any other
            # OLE file is most likely an old .xls. Scan in chunks (the size is bounded above).
            f.seek(0)
            tail = b""
            while chunk := f.read(1 << 20):
                if _ENCRYPTED_MARK in tail + chunk:
                    return "Tệp có mật khẩu: hãy gỡ mật khẩu rồi tải lại."
                tail = chunk[-len(_ENCRYPTED_MARK) :]
            return "Tệp Excel 97-2003 (.xls) không được hỗ trợ: hãy lưu lại dạng .xlsx."
    if not zipfile.is_zipfile(path):
        return "Tệp không phải tệp Excel .xlsx."
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_spaces(str(value))


_DATE_TEXT = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        # An Excel serial number (days since 1899-12-30): from 01/01/1900 to 31/12/9999.
        if not 1 <= value <= 2958465:
            raise ValueError
        return from_excel(value).date()
    text = _text(value)
    if m := _DATE_TEXT.match(text):
        day, month, year = (int(g) for g in m.groups())
        return datetime.date(year, month, day)
    if m := _ISO_DATE.match(text.split(" ")[0] if text else ""):
        year, month, day = (int(g) for g in m.groups())
        return datetime.date(year, month, day)
    raise ValueError


_NUMBER_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+$")


def _digits(value) -> str:
    """A number-like cell as its digits: 12-digit IDs typed as numbers lose their leading zeros
    and may show in scientific notation ("1,23E+11"); integral values come back as digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and 0 <= value < 10**15:
            return str(int(value))
        return str(value)
    if isinstance(value, int):
        return str(value)
    text = _text(value).replace(" ", "")
    if _NUMBER_TEXT.match(text.replace(",", ".")):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return text
        if number == number.to_integral_value() and 0 <= number < 10**15:
            return str(int(number))
    return text


def _citizen_id(value) -> str:
    was_number = isinstance(value, int | float) and not isinstance(value, bool)
    digits = _digits(value)
    # A number loses its leading zeros; a CCCD begins with a province code 001-096, so at most
    # two can be missing.
    if digits.isdigit() and (was_number or digits != _text(value)) and 10 <= len(digits) < 12:
        digits = digits.zfill(12)
    if not re.fullmatch(r"[0-9]{12}", digits):
        raise ValueError("Số CCCD gồm đúng 12 chữ số.")
    return digits


def _coded(mapping: dict[str, str], codes: Iterable[str], value, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and what == "dân tộc":
        value = f"{value:02d}"  # the GSO code typed as a number
    text = _text(value)
    if text in codes:
        return text
    key = fold(text)
    if key in mapping:
        return mapping[key]
    raise ValueError(f"Không rõ {what} “{text}”: hãy chọn trong danh sách.")


def _parse_cell(key: str, value):
    """The cell's value for ``key`` (None for a blank cell); ValueError with a message if bad."""
    if isinstance(value, str) and value.strip().startswith("="):
        raise ValueError("Ô chứa công thức; hãy dán giá trị thay cho công thức.")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if key in DATE_KEYS:
        try:
            day = _date(value)
        except (ValueError, OverflowError, TypeError):
            raise ValueError(
                f"Ngày không hợp lệ “{_text(value)}”: ghi theo dạng dd/mm/yyyy."
            ) from None
        if not datetime.date(1900, 1, 1) <= day <= datetime.date(2100, 12, 31):
            raise ValueError(f"Ngày {day:%d/%m/%Y} nằm ngoài khoảng hợp lý.")
        return day
    if key == "citizen_id":
        return _citizen_id(value)
    if key == "party_card_no":
        text = _digits(value)
        if len(text) > 20:
            raise ValueError("Số thẻ đảng viên dài quá 20 ký tự.")
        return text
    if key == "gender":
        return _coded(GENDERS, choices.Gender.values, value, "giới tính")
    if key == "ethnicity":
        return _coded(ETHNICITIES, choices.Ethnicity.values, value, "dân tộc")
    if key == "religion":
        return _coded(RELIGIONS, choices.Religion.values, value, "tôn giáo")
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        raise ValueError("Ô này cần chữ, không phải ngày tháng.")
    text = _text(value)
    limit = {"full_name": 150, "unit_code": 64, "admission_no": 50, "recognition_no": 50}[key]
    if len(text) > limit:
        raise ValueError(f"Dài quá {limit} ký tự.")
    return text


def _pick_sheet(wb) -> str:
    names = wb.sheetnames
    for name in names:
        if fold(name) == fold(SHEET):
            return name
    others = [n for n in names if fold(n) not in (fold(GUIDE_SHEET), fold(LISTS_SHEET))]
    return (others or names)[0]


def read_roster(path, *, max_bytes: int = MAX_BYTES) -> Preview:
    """Read and check a roster file; never raises for a bad file (see ``Preview.errors``)."""
    preview = Preview(path=str(path))
    problem = _sniff(path, max_bytes)
    if problem:
        preview.errors.append(RowError("", None, "", problem))
        return preview
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # corrupt archives raise many kinds of errors: all mean the same here
        preview.errors.append(
            RowError("", None, "", "Tệp bị hỏng hoặc không phải tệp Excel .xlsx.")
        )
        return preview
    try:
        _read_sheet(wb, preview)
    except Exception:  # a broken sheet inside a valid archive fails only while streaming
        preview.rows = []
        preview.errors.append(
            RowError(preview.sheet, None, "", "Tệp bị hỏng: không đọc được trang tính.")
        )
    finally:
        wb.close()
    if preview.rows:  # plan even rows with errors, so that one read shows every problem
        with transaction.atomic():  # one consistent view of the database for the plan
            _plan(preview)
        preview.errors.sort(
            key=lambda e: (
                e.row or 0,
                [c.header for c in COLUMNS].index(e.column) if e.column in HEADERS.values() else -1,
            )
        )
    return preview


def _read_sheet(wb, preview: Preview) -> None:
    preview.sheet = sheet = _pick_sheet(wb)
    ws = wb[sheet]
    rows = ws.iter_rows(values_only=True)
    positions: dict[str, int] | None = None
    header_number = 0
    for number, values in enumerate(rows, start=1):
        if any(_text(v) for v in values):
            positions, missing = _match_headers(values)
            if not missing:
                header_number = number
                break
            if number >= HEADER_SEARCH_ROWS or fold("Họ và tên") in {
                fold(_text(v)) for v in values
            }:
                names = ", ".join(HEADERS[k] for k in missing)
                preview.errors.append(
                    RowError(sheet, number, "", f"Thiếu hoặc sai tiêu đề cột: {names}.")
                )
                return
        if number >= HEADER_SEARCH_ROWS:
            break
    if not header_number:
        message = "Trang tính trống." if positions is None else "Không tìm thấy dòng tiêu đề."
        preview.errors.append(RowError(sheet, None, "", message))
        return

    blank_run = 0
    for number, values in enumerate(rows, start=header_number + 1):
        if not any(v is not None and _text(v) for v in values):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(preview.rows) >= MAX_ROWS:
            preview.errors.append(
                RowError(sheet, number, "", f"Tệp có quá {MAX_ROWS} dòng; hãy chia nhỏ tệp.")
            )
            return
        parsed: dict = {}
        for key, index in positions.items():
            raw = values[index] if index < len(values) else None
            try:
                value = _parse_cell(key, raw)
            except ValueError as error:
                preview.errors.append(RowError(sheet, number, HEADERS[key], str(error)))
                continue
            if value is not None:
                parsed[key] = value
        for key in REQUIRED:
            if key not in parsed and not _has_error(preview, number, key):
                preview.errors.append(RowError(sheet, number, HEADERS[key], "Cần nhập ô này."))
        preview.rows.append(RosterRow(number=number, values=parsed))
    if not preview.rows and not preview.errors:
        preview.errors.append(RowError(sheet, None, "", "Tệp không có dòng đảng viên nào."))


def _has_error(preview: Preview, number: int, key: str) -> bool:
    return any(e.row == number and e.column == HEADERS[key] for e in preview.errors)


def _match_headers(values) -> tuple[dict[str, int], list[str]]:
    wanted = {fold(c.header): c.key for c in COLUMNS}
    positions: dict[str, int] = {}
    for index, value in enumerate(values):
        key = wanted.get(fold(_text(value)))
        if key and key not in positions:
            positions[key] = index
    return positions, [c.key for c in COLUMNS if c.key not in positions]


# --- planning: matching rows to members ------------------------------------------------------


def _plan(preview: Preview) -> None:
    """Match each row to a member, decide its action, flag likely duplicates. Adds errors."""
    sheet, rows = preview.sheet, preview.rows
    codes = {r.values["unit_code"] for r in rows if "unit_code" in r.values}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    cids = {r.values["citizen_id"] for r in rows if "citizen_id" in r.values}
    cards = {r.values["party_card_no"] for r in rows if "party_card_no" in r.values}
    members = Member.objects.select_related("unit")
    by_cid = {m.citizen_id: m for m in members.filter(citizen_id__in=cids)} if cids else {}
    by_card = {m.party_card_no: m for m in members.filter(party_card_no__in=cards)} if cards else {}
    seen_cid: dict[str, int] = {}
    seen_card: dict[str, int] = {}
    new_people: dict[tuple[str, datetime.date], int] = {}

    def error(row: RosterRow, key: str, message: str) -> None:
        preview.errors.append(RowError(sheet, row.number, HEADERS[key] if key else "", message))

    unmatched: list[RosterRow] = []
    for row in rows:
        v = row.values
        row.action, row.member_id, row.version, row.changes = "", None, None, {}
        row.duplicate_of, row.notes = "", []
        code = v.get("unit_code")
        if code and code not in units:
            error(row, "unit_code", f"Không có chi bộ mã “{code}”.")
        elif code and not units[code].holds_members:
            error(row, "unit_code", f"“{units[code]}” không phải chi bộ.")
        for key, seen in (("citizen_id", seen_cid), ("party_card_no", seen_card)):
            if key in v:
                if v[key] in seen:
                    error(row, key, f"Trùng với dòng {seen[v[key]]} của tệp.")
                seen.setdefault(v[key], row.number)
        member = by_cid.get(v.get("citizen_id"))
        card_owner = by_card.get(v.get("party_card_no"))
        if member is not None and card_owner is not None and card_owner.pk != member.pk:
            error(
                row,
                "party_card_no",
                f"Số thẻ này thuộc hồ sơ “{card_owner}”, còn số CCCD thuộc hồ sơ “{member}”.",
            )
        member = member or card_owner
        if member is None:
            row.action = CREATE
            unmatched.append(row)
            for key in REQUIRED_TO_CREATE:
                if key not in v and not _has_error(preview, row.number, key):
                    error(row, key, "Cần nhập ô này để kết nạp đảng viên mới.")
            continue
        row.member_id, row.version = member.pk, member.version
        for key in RECORD_KEYS:
            new = v.get(key)
            if new is None:
                continue  # a blank cell leaves the record as it is (never clears an ID)
            old = getattr(member, key)
            if new != old:
                row.changes[key] = (old, new)
        row.action = UPDATE if row.changes else UNCHANGED
        if "unit_code" in v and member.unit_id and v["unit_code"] != member.unit.code:
            row.notes.append(
                f"Chi bộ trong tệp ({v['unit_code']}) khác chi bộ hiện tại "
                f"({member.unit.code}); không đổi (dùng chức năng chuyển sinh hoạt)."
            )
        for key in ("admitted_on", "recognized_on"):
            if key in v and v[key] != getattr(member, key):
                row.notes.append(f"{HEADERS[key]} trong tệp khác hồ sơ; không đổi.")

    # Likely duplicates: a new row with the same folded name and date of birth as a member
    # already recorded, or as another new row. Flagged for a person to check; never merged.
    keys = {
        (fold(r.values["full_name"]), r.values["date_of_birth"])
        for r in unmatched
        if "full_name" in r.values and "date_of_birth" in r.values
    }
    existing: dict[tuple[str, datetime.date], Member] = {}
    if keys:
        for m in Member.objects.filter(
            name_folded__in={k[0] for k in keys}, date_of_birth__in={k[1] for k in keys}
        ):
            existing.setdefault((m.name_folded, m.date_of_birth), m)
    for row in unmatched:
        if "full_name" not in row.values or "date_of_birth" not in row.values:
            continue
        key = (fold(row.values["full_name"]), row.values["date_of_birth"])
        if key in existing:
            m = existing[key]
            row.duplicate_of = f"Trùng họ tên và ngày sinh với hồ sơ “{m}” (mã {m.pk})."
        elif key in new_people:
            row.duplicate_of = f"Trùng họ tên và ngày sinh với dòng {new_people[key]} của tệp."
        new_people.setdefault(key, row.number)


# --- committing ------------------------------------------------------------------------------

_ADMIT_FIELDS = {
    "decision_no": "admission_no",
    "decision_date": "admitted_on",
    "ceremony_date": "ceremony_date",
    "unit": "unit_code",
    "date_of_birth": "date_of_birth",
    "full_name": "full_name",
    "gender": "gender",
    "citizen_id": "citizen_id",
    "party_card_no": "party_card_no",
    "ethnicity": "ethnicity",
    "religion": "religion",
}
_RECOGNIZE_FIELDS = {
    "decision_no": "recognition_no",
    "decision_date": "recognized_on",
    "effective_date": "recognized_on",
}


def _errors_of(
    exc: ValidationError, sheet: str, row: RosterRow, fields: dict, default: str
) -> list[RowError]:
    found = []
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            key = fields.get(field, default)
            for message in messages:
                found.append(RowError(sheet, row.number, HEADERS.get(key, ""), message))
    else:
        for message in exc.messages:
            found.append(RowError(sheet, row.number, HEADERS.get(default, ""), message))
    return found


def commit_roster(preview: Preview, *, user=None, dry_run: bool = False) -> dict[str, int]:
    """Write the preview, all or nothing; returns the summary. Raises ``RosterError`` (nothing
    written) on any error. ``dry_run``: do all the work and every check, then roll back."""
    if preview.errors:
        raise RosterError(list(preview.errors))
    with transaction.atomic():
        stale = {r.number: (r.member_id, r.version) for r in preview.rows}
        _plan(preview)  # again, on the database as it is now
        errors = list(preview.errors)
        for row in preview.rows:
            if stale[row.number][0] != row.member_id:
                errors.append(
                    RowError(
                        preview.sheet,
                        row.number,
                        "",
                        "Dữ liệu đã thay đổi từ khi đọc tệp; hãy đọc lại tệp.",
                    )
                )
        if not errors:
            editable = Unit.objects.editable_by(user) if user is not None else None
            for row in preview.rows:
                try:
                    if row.action == CREATE:
                        _create(row, user=user, editable=editable)
                    elif row.action == UPDATE:
                        _update(row, expected_version=stale[row.number][1], editable=editable)
                except _RowFailed as failed:
                    errors.extend(_errors_of(failed.error, preview.sheet, row, failed.fields, ""))
                except IntegrityError:  # a rule the checks above missed; the database held
                    errors.append(
                        RowError(preview.sheet, row.number, "", "Dữ liệu vi phạm ràng buộc.")
                    )
        if errors:
            preview.errors = errors
            raise RosterError(errors)  # leaving the block rolls everything back
        summary = preview.summary()
        if dry_run:
            transaction.set_rollback(True)
    return summary


class _RowFailed(Exception):
    def __init__(self, error: ValidationError, fields: dict):
        self.error, self.fields = error, fields


def _create(row: RosterRow, *, user, editable) -> None:
    v = row.values
    unit = Unit.objects.get(code=v["unit_code"])
    if editable is not None and not editable.filter(pk=unit.pk).exists():
        raise _RowFailed(
            ValidationError({"unit": "Bạn không có quyền nhập đảng viên cho chi bộ này."}),
            _ADMIT_FIELDS,
        )
    member = Member(
        full_name=v["full_name"],
        gender=v["gender"],
        date_of_birth=v["date_of_birth"],
        citizen_id=v.get("citizen_id", ""),
        party_card_no=v.get("party_card_no", ""),
        ethnicity=v.get("ethnicity", choices.Ethnicity.KINH),
        religion=v.get("religion", choices.Religion.NONE),
    )
    try:
        services.member_admit(
            member=member,
            unit=unit,
            decision=services.Decision(number=v["admission_no"], date=v["admitted_on"]),
            ceremony_date=v.get("ceremony_date", v["admitted_on"]),
            user=user,
        )
    except ValidationError as error:
        raise _RowFailed(error, _ADMIT_FIELDS) from None
    if "recognized_on" in v or "recognition_no" in v:
        if "recognized_on" not in v:
            raise _RowFailed(
                ValidationError({"effective_date": "Có số quyết định công nhận nhưng thiếu ngày."}),
                _RECOGNIZE_FIELDS,
            )
        try:
            services.member_recognize(
                member=member,
                effective_date=v["recognized_on"],
                decision=services.Decision(
                    number=v.get("recognition_no", ""), date=v["recognized_on"]
                ),
                user=user,
            )
        except ValidationError as error:
            raise _RowFailed(error, _RECOGNIZE_FIELDS) from None


def _update(row: RosterRow, *, expected_version, editable) -> None:
    member = Member.objects.select_for_update().get(pk=row.member_id)
    if editable is not None and not editable.filter(pk=member.record_unit_id).exists():
        raise _RowFailed(
            ValidationError("Bạn không có quyền sửa hồ sơ của đảng viên này."), _ADMIT_FIELDS
        )
    if member.version != expected_version:
        raise _RowFailed(
            ValidationError("Hồ sơ đã được sửa sau khi đọc tệp; hãy đọc lại tệp."), _ADMIT_FIELDS
        )
    for key, (_old, new) in row.changes.items():
        setattr(member, key, new)
    member.version += 1
    try:
        member.full_clean()
    except ValidationError as error:
        raise _RowFailed(error, _ADMIT_FIELDS) from None
    member.save(update_fields=[*row.changes, "version", "updated_at"])
