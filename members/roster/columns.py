"""The shape of a roster workbook: its two sheets, their columns, and how a cell is read.

The workbook is a data format shared with other software and with the boards' own files, so its
sheet names, headers and coded values are Vietnamese whatever the interface's language; the
messages about them are translated like the rest of the interface.

- "Đảng viên" (members): one row per person, the record of form 2-HSĐV and how they started here:
  admitted by a decision of ours, or received from a party organization outside the system;
  then their official recognition.
- "Sự kiện" (events): one row per later event of a member (transfers, removals, deaths, …),
  naming the member by citizen ID or party card number.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from common.vntext import fold, normalize_spaces

from .. import choices
from ..models import Event, RosterImportRow

Sheet = RosterImportRow.Sheet
MEMBERS_SHEET = "Đảng viên"
EVENTS_SHEET = "Sự kiện"
GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
SHEET_TITLES = {Sheet.MEMBERS: MEMBERS_SHEET, Sheet.EVENTS: EVENTS_SHEET}
DATE_FORMAT = "DD/MM/YYYY"

# Dates outside these years are typing mistakes.
EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2100, 12, 31)


class EventAction(models.TextChoices):
    """What a row of the events sheet asks for: one service of ``members.services`` each."""

    TRANSFER = "transfer", gettext_lazy("Chuyển sinh hoạt trong hệ thống")
    TRANSFER_OUT = Event.Kind.TRANSFER_OUT.value, gettext_lazy("Chuyển đi ngoài hệ thống")
    TRANSFER_IN = Event.Kind.TRANSFER_IN.value, gettext_lazy("Chuyển đến từ ngoài hệ thống")
    TEMPORARY_TRANSFER = Event.Kind.TEMPORARY_TRANSFER.value, Event.Kind.TEMPORARY_TRANSFER.label
    RECOGNITION = Event.Kind.RECOGNITION.value, Event.Kind.RECOGNITION.label
    STRUCK_OFF = Event.Kind.STRUCK_OFF.value, Event.Kind.STRUCK_OFF.label
    DISCHARGED = Event.Kind.DISCHARGED.value, Event.Kind.DISCHARGED.label
    EXPELLED = Event.Kind.EXPELLED.value, Event.Kind.EXPELLED.label
    DEATH = Event.Kind.DEATH.value, Event.Kind.DEATH.label
    EXEMPTION = Event.Kind.EXEMPTION.value, Event.Kind.EXEMPTION.label
    RESTORATION = Event.Kind.RESTORATION.value, Event.Kind.RESTORATION.label
    READMISSION = Event.Kind.READMISSION.value, Event.Kind.READMISSION.label


class Yes(models.TextChoices):
    YES = "yes", gettext_lazy("Có")
    NO = "no", gettext_lazy("Không")


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | date | code | bool | citizen_id | card | directive | info
    width: int = 16
    max_length: int = 200
    choices: type[models.TextChoices] | None = None

    @property
    def imported(self) -> bool:
        return self.kind != "info"


def _c(key, header, kind="text", width=16, max_length=200, choices=None) -> Column:
    return Column(key, header, kind, width, max_length, choices)


MEMBER_COLUMNS = (
    _c("unit_code", "Mã chi bộ", width=22, max_length=64),
    _c("full_name", "Họ và tên", width=26, max_length=150),
    _c("gender", "Giới tính", "code", 9, choices=choices.Gender),
    _c("date_of_birth", "Ngày sinh", "date", 12),
    _c("citizen_id", "Số CCCD", "citizen_id", 15),
    _c("party_card_no", "Số thẻ đảng viên", "card", 15, max_length=20),
    _c("ethnicity", "Dân tộc", "code", 11, choices=choices.Ethnicity),
    _c("religion", "Tôn giáo", "code", 16, choices=choices.Religion),
    _c("place_of_birth", "Nơi sinh", width=20),
    _c("hometown", "Quê quán", width=20),
    _c("residence", "Nơi cư trú", width=28, max_length=300),
    _c("occupation", "Nghề nghiệp", width=18),
    _c("occupation_group", "Nhóm nghề nghiệp", "code", 26, choices=choices.OccupationGroup),
    _c("general_education", "Giáo dục phổ thông", "code", 18, choices=choices.GeneralEducation),
    _c("professional_level", "Chuyên môn", "code", 18, choices=choices.ProfessionalLevel),
    _c("academic_title", "Học hàm", "code", 12, choices=choices.AcademicTitle),
    _c("political_theory", "Lý luận chính trị", "code", 18, choices=choices.PoliticalTheory),
    _c("personal_history_no", "Số lý lịch", width=12, max_length=20),
    _c("youth_union_member", "Đoàn viên khi vào Đảng", "bool", 10),
    _c("private_business_owner", "Chủ doanh nghiệp tư nhân", "bool", 10),
    _c("married_to_foreigner", "Vợ/chồng người nước ngoài", "bool", 10),
    _c("admitted_on", "Ngày vào Đảng", "date", 12),
    _c("admission_no", "Số quyết định kết nạp", width=18, max_length=50),
    _c("ceremony_date", "Ngày lễ kết nạp", "date", 12),
    _c("sponsors", "Người giới thiệu", width=28, max_length=300),
    _c("origin", "Chuyển đến từ", width=24),
    _c("arrived_on", "Ngày chuyển đến", "date", 12),
    _c("arrival_no", "Số quyết định tiếp nhận", width=18, max_length=50),
    _c("issuing_body", "Cơ quan ra quyết định", width=26),
    _c("directive", "Thực hiện theo", "directive", 12, max_length=50),
    _c("recognized_on", "Ngày chính thức", "date", 12),
    _c("recognition_no", "Số quyết định công nhận", width=18, max_length=50),
    # Written by the export for the reader; not read back (the events say where and what).
    _c("current_unit", "Chi bộ hiện nay", "info", 22),
    _c("status", "Trạng thái", "info", 14),
    _c("party_age", "Tuổi đảng (năm)", "info", 10),  # R15, on the day of the export
)

EVENT_COLUMNS = (
    _c("citizen_id", "Số CCCD", "citizen_id", 15),
    _c("party_card_no", "Số thẻ đảng viên", "card", 15, max_length=20),
    _c("full_name", "Họ và tên", width=26, max_length=150),
    _c("action", "Loại sự kiện", "code", 28, choices=EventAction),
    _c("effective_date", "Ngày hiệu lực", "date", 12),
    _c("unit_code", "Mã chi bộ", width=22, max_length=64),
    _c("other_unit_name", "Đơn vị ngoài hệ thống", width=26),
    _c("reason", "Lý do", "code", 30, choices=Event.Reason),
    _c("decision_no", "Số quyết định", width=16, max_length=50),
    _c("decision_date", "Ngày quyết định", "date", 12),
    _c("issuing_body", "Cơ quan ra quyết định", width=26),
    _c("directive", "Thực hiện theo", "directive", 12, max_length=50),
    _c("ceremony_date", "Ngày lễ kết nạp", "date", 12),
    _c("sponsors", "Người giới thiệu", width=28, max_length=300),
    _c("notes", "Ghi chú", width=30, max_length=2000),
)

COLUMNS = {Sheet.MEMBERS: MEMBER_COLUMNS, Sheet.EVENTS: EVENT_COLUMNS}
REQUIRED = {
    Sheet.MEMBERS: ("unit_code", "full_name", "gender", "date_of_birth"),
    Sheet.EVENTS: ("action", "effective_date"),
}
# The member record's own fields that an import sets on a new member and may change on one
# already recorded (a blank cell never clears a field).
RECORD_KEYS = tuple(
    c.key
    for c in MEMBER_COLUMNS[:21]  # from the cell's code to "married to a foreigner"
    if c.key != "unit_code"
)


def located(title: str, row: int | None, column: str, message: str) -> str:
    """A message with where it is: "trang Đảng viên, dòng 4, cột Ngày sinh: …" ("sheet
    Đảng viên, row 4, column …" in English), for people, not for spreadsheet formulas."""
    if row is None:
        return _("trang %(sheet)s: %(message)s") % {"sheet": title, "message": message}
    if not column:
        return _("trang %(sheet)s, dòng %(row)s: %(message)s") % {
            "sheet": title,
            "row": row,
            "message": message,
        }
    return _("trang %(sheet)s, dòng %(row)s, cột %(column)s: %(message)s") % {
        "sheet": title,
        "row": row,
        "column": column,
        "message": message,
    }


def header(sheet: str, key: str) -> str:
    return next(c.header for c in COLUMNS[sheet] if c.key == key)


def letter(sheet: str, key: str) -> str:
    return get_column_letter([c.key for c in COLUMNS[sheet]].index(key) + 1)


def column_order(sheet: str, header_text: str) -> int:
    """Where a column stands in its sheet (errors are listed in that order); -1 for none."""
    headers = [c.header for c in COLUMNS[sheet]]
    return headers.index(header_text) if header_text in headers else -1


def vietnamese_labels(choice_class: type[models.TextChoices]) -> list[str]:
    """The coded values as the workbook writes them: Vietnamese labels, always."""
    with translation.override("vi"):
        return [str(label) for value, label in choice_class.choices if value != ""]


def _label_map(choice_class: type[models.TextChoices]) -> dict[str, str]:
    """Folded Vietnamese (and English) label → code, so "phat giao hoa hao" reads too."""
    found: dict[str, str] = {}
    for language in ("en", "vi"):  # Vietnamese last: it wins where the two collide
        with translation.override(language):
            for value, label in choice_class.choices:
                if value != "":
                    found[fold(str(label))] = value
    return found


# --- reading one cell --------------------------------------------------------------------------


def text(value) -> str:
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
    written = text(value)
    if m := _DATE_TEXT.match(written):
        day, month, year = (int(g) for g in m.groups())
        return datetime.date(year, month, day)
    if m := _ISO_DATE.match(written.split(" ")[0] if written else ""):
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
    written = text(value).replace(" ", "")
    if _NUMBER_TEXT.match(written.replace(",", ".")):
        try:
            number = Decimal(written.replace(",", "."))
        except InvalidOperation:
            return written
        if number == number.to_integral_value() and 0 <= number < 10**15:
            return str(int(number))
    return written


def _citizen_id(value) -> str:
    was_number = isinstance(value, int | float) and not isinstance(value, bool)
    digits = _digits(value)
    # A number loses its leading zeros; a CCCD begins with a province code 001-096, so at most
    # two can be missing.
    if digits.isdigit() and (was_number or digits != text(value)) and 10 <= len(digits) < 12:
        digits = digits.zfill(12)
    if not re.fullmatch(r"[0-9]{12}", digits):
        raise ValueError(_("Số CCCD gồm đúng 12 chữ số."))
    return digits


_LABEL_MAPS: dict[type, dict[str, str]] = {}


def _coded(column: Column, value, codes: dict[str, str] | None = None) -> str:
    choice_class = column.choices
    if codes and fold(text(value)) in codes:
        return codes[fold(text(value))]  # the office's own way of writing it (mapping.py)
    if isinstance(value, int) and not isinstance(value, bool) and choice_class is choices.Ethnicity:
        value = f"{value:02d}"  # the General Statistics Office's code typed as a number
    written = text(value)
    if written in choice_class.values and written != "":
        return written
    mapping = _LABEL_MAPS.get(choice_class)
    if mapping is None:
        mapping = _LABEL_MAPS[choice_class] = _label_map(choice_class)
    key = fold(written)
    if key in mapping:
        return mapping[key]
    raise ValueError(
        _("Không rõ “%(value)s”: hãy chọn trong danh sách (%(column)s).")
        % {"value": written, "column": column.header}
    )


_YES = {fold(w) for w in ("có", "x", "yes", "true", "1", "đúng", "phải")}
_NO = {fold(w) for w in ("không", "no", "false", "0", "sai")}


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    key = fold(text(value))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(_("Ghi “Có” hoặc “Không”."))


def parse_cell(column: Column, value, codes: dict[str, str] | None = None):
    """The cell's value (None for a blank cell); ValueError with a message if it is bad.
    ``codes``: a coded column's values as an office writes them (folded -> code)."""
    if isinstance(value, str) and value.strip().startswith("="):
        raise ValueError(_("Ô chứa công thức; hãy dán giá trị thay cho công thức."))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = column.kind
    if kind == "date":
        try:
            day = _date(value)
        except (ValueError, OverflowError, TypeError):
            message = _("Ngày không hợp lệ “%(value)s”: ghi theo dạng dd/mm/yyyy.")
            raise ValueError(message % {"value": text(value)}) from None
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValueError(
                _("Ngày %(day)s nằm ngoài khoảng hợp lý.") % {"day": day.strftime("%d/%m/%Y")}
            )
        return day
    if kind == "citizen_id":
        return _citizen_id(value)
    if kind == "card":
        written = _digits(value)
    elif kind == "code":
        return _coded(column, value, codes)
    elif kind == "bool":
        return _boolean(value)
    else:
        if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
            raise ValueError(_("Ô này cần chữ, không phải ngày tháng."))
        written = text(value)
    if len(written) > column.max_length:
        raise ValueError(_("Dài quá %(limit)s ký tự.") % {"limit": column.max_length})
    return written


def to_json(value):
    """A parsed value as the staged row stores it."""
    return value.isoformat() if isinstance(value, datetime.date) else value


def from_json(column: Column, value):
    if value is not None and column.kind == "date":
        return datetime.date.fromisoformat(value)
    return value


def decode(sheet: str, values: dict) -> dict:
    """A staged row's values back as Python values."""
    by_key = {c.key: c for c in COLUMNS[sheet]}
    return {k: from_json(by_key[k], v) for k, v in values.items() if k in by_key}


def match_headers(
    sheet: str, cells, aliases: dict[str, str] | None = None
) -> tuple[dict[str, int], list[str], list[str]]:
    """Positions of the known columns in a header row, the required ones missing, and headers
    that match no column (a typo would otherwise drop that column's data without a word).
    ``aliases``: a workbook of another shape's headers, folded -> column key ("": left out)."""
    wanted = {fold(c.header): c.key for c in COLUMNS[sheet]}
    if aliases:
        wanted = {k: v for k, v in wanted.items() if v not in set(aliases.values())}
        wanted.update(aliases)
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, value in enumerate(cells):
        written = text(value)
        if not written:
            continue
        key = wanted.get(fold(written))
        if key is None:
            unknown.append(written)
        elif key and key not in positions:
            positions[key] = index
    missing = [k for k in REQUIRED[sheet] if k not in positions]
    return positions, missing, unknown
