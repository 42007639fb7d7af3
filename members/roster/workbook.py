"""The roster workbook written: the empty template, and the export of members in the same shape.

``roster_rows`` is the report (what each member's row and event rows say); ``export_roster``
and ``template_workbook`` only render it. An export imports back as it is: into the database
it came from it changes nothing; into an empty one (with the same units) it rebuilds the same
members, events and figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.xlsx import text_cell

from .. import rules
from ..models import Event, Member
from .columns import (
    COLUMNS,
    DATE_FORMAT,
    EVENTS_SHEET,
    GUIDE_SHEET,
    LISTS_SHEET,
    MEMBERS_SHEET,
    RECORD_KEYS,
    EventAction,
    Sheet,
    Yes,
    letter,
    vietnamese_labels,
)

K = Event.Kind
TEMPLATE_ROWS = 1000  # rows of the template given date and text formats and drop-down lists

GUIDE = [
    "HƯỚNG DẪN NHẬP DANH SÁCH ĐẢNG VIÊN",
    "",
    "Trang “Đảng viên”: mỗi dòng là một đảng viên; giữ nguyên dòng tiêu đề (có thể bỏ bớt "
    "những cột không dùng, trừ các cột bắt buộc).",
    "1. Bắt buộc: Mã chi bộ, Họ và tên, Giới tính, Ngày sinh. Nên ghi Số CCCD (12 chữ số) "
    "hoặc Số thẻ đảng viên: đảng viên đã có trong hệ thống được nhận ra theo số CCCD, nếu "
    "không có thì theo số thẻ.",
    "2. Mã chi bộ: chi bộ (hoặc chi bộ cơ sở) nơi đảng viên được kết nạp hoặc được tiếp nhận; "
    "các lần chuyển sinh hoạt sau đó ghi ở trang “Sự kiện”.",
    "3. Đảng viên kết nạp tại đảng bộ: ghi Ngày vào Đảng (ngày quyết định kết nạp), Số quyết "
    "định kết nạp, Ngày lễ kết nạp (để trống nếu trùng ngày quyết định), Người giới thiệu.",
    "4. Đảng viên chuyển đến từ ngoài hệ thống: ghi Ngày vào Đảng, Chuyển đến từ, Ngày chuyển "
    "đến, Số quyết định tiếp nhận; nếu đã là đảng viên chính thức khi đến, ghi Ngày chính thức.",
    "5. Cơ quan ra quyết định và Thực hiện theo (số hiệu chỉ thị, ví dụ 28-CT/TW) là của quyết "
    "định kết nạp hoặc tiếp nhận.",
    "6. Ngày chính thức kèm Số quyết định công nhận: công nhận chính thức sau ít nhất 12 tháng "
    "dự bị kể từ lễ kết nạp.",
    "7. Hai cột cuối (Chi bộ hiện nay, Trạng thái) chỉ để xem: khi nhập không đọc hai cột này.",
    "",
    "Trang “Sự kiện”: mỗi dòng là một sự kiện sau khi kết nạp hoặc tiếp nhận, theo thứ tự "
    "thời gian của từng đảng viên.",
    "8. Ghi Số CCCD hoặc Số thẻ đảng viên của người đó (người ở trang “Đảng viên” hoặc đã có "
    "trong hệ thống); Họ và tên để đối chiếu.",
    "9. Mã chi bộ: chi bộ đến, cho Chuyển sinh hoạt trong hệ thống, Chuyển đến, Phục hồi đảng "
    "tịch, Kết nạp lại và Chuyển sinh hoạt tạm thời đến một chi bộ trong hệ thống. Đơn vị ngoài "
    "hệ thống: nơi đi hoặc nơi đến ngoài hệ thống.",
    "10. Lý do: bắt buộc với Xóa tên, Cho ra khỏi Đảng và Khai trừ.",
    "",
    "Chung:",
    "11. Ngày tháng ghi theo dạng dd/mm/yyyy (ví dụ 17/05/1985) hoặc định dạng ngày của Excel.",
    "12. Số CCCD gồm đúng 12 chữ số; nên định dạng cột là văn bản để giữ số 0 ở đầu.",
    "13. Các cột có danh sách thả xuống: chọn trong danh sách. Có/Không: ghi “Có” hoặc để trống.",
    "14. Không dùng công thức (=...) trong ô; dán giá trị.",
    "15. Người trùng họ tên và ngày sinh với một hồ sơ khác được đánh dấu để người nhập quyết "
    "định, không bao giờ tự gộp.",
    "16. Tệp có lỗi thì không dòng nào được nhập; nhập lại cùng một tệp không thay đổi gì.",
]


def _code_lists(sheet: str) -> list[tuple[str, list[str]]]:
    """(column key, the labels of its drop-down list) for the sheet's coded columns."""
    found = []
    for column in COLUMNS[sheet]:
        if column.kind == "code":
            found.append((column.key, vietnamese_labels(column.choices)))
        elif column.kind == "bool":
            found.append((column.key, vietnamese_labels(Yes)))
    return found


UNITS_SHEET = "Chi bộ"
UNITS_HEADER = ("Mã chi bộ", "Tên chi bộ", "Thuộc")


def template_workbook(units: Iterable[tuple[str, str, str]] = ()) -> Workbook:
    """An empty roster: both sheets' headers, instructions, drop-down lists for coded columns;
    with ``units`` ((code, name, the unit above)), a sheet listing the cells the office may
    import into, to copy a code or a name from (issue 28)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {
        Sheet.MEMBERS: wb.create_sheet(MEMBERS_SHEET),
        Sheet.EVENTS: wb.create_sheet(EVENTS_SHEET),
    }
    guide = wb.create_sheet(GUIDE_SHEET)
    lists = wb.create_sheet(LISTS_SHEET)
    list_column = 0
    lists_of: dict[tuple[str, ...], str] = {}
    for sheet, ws in sheets.items():
        for index, column in enumerate(COLUMNS[sheet], start=1):
            cell = ws.cell(row=1, column=index, value=column.header)
            cell.font = Font(bold=True)
            ws.column_dimensions[get_column_letter(index)].width = column.width
            number_format = {"date": DATE_FORMAT, "citizen_id": "@", "card": "@"}.get(column.kind)
            if number_format:
                for row in range(2, TEMPLATE_ROWS + 1):
                    ws.cell(row=row, column=index).number_format = number_format
        ws.freeze_panes = "A2"
        for key, labels in _code_lists(sheet):
            if tuple(labels) not in lists_of:
                list_column += 1
                for row, label in enumerate(labels, start=1):
                    lists.cell(row=row, column=list_column, value=label)
                col = get_column_letter(list_column)
                lists_of[tuple(labels)] = f"'{LISTS_SHEET}'!${col}$1:${col}${len(labels)}"
            head = next(c.header for c in COLUMNS[sheet] if c.key == key)
            validation = DataValidation(
                type="list",
                formula1=lists_of[tuple(labels)],
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=head,
                error=f"Chọn {head.lower()} trong danh sách.",
            )
            col = letter(sheet, key)
            validation.add(f"{col}2:{col}{TEMPLATE_ROWS}")
            ws.add_data_validation(validation)
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 120
    lists.sheet_state = "hidden"
    units = list(units)
    if units:
        listed = wb.create_sheet(UNITS_SHEET, index=2)
        listed.append(list(UNITS_HEADER))
        for cell in listed[1]:
            cell.font = Font(bold=True)
        for unit in units:
            listed.append(list(unit))
        for col, width in zip("ABC", (24, 36, 36), strict=True):
            listed.column_dimensions[col].width = width
        listed.freeze_panes = "A2"
    wb.active = 0
    return wb


# --- the report: what each member's rows say ---------------------------------------------------


def _label(column_choices, value) -> str:
    if value in ("", None):
        return ""
    return str(column_choices(value).label)


def _sheet_one_recognition(start: Event, events: list[Event]) -> Event | None:
    """The recognition that the members sheet can hold: the first one after the start, made by
    the same body on its effective day, under no directive. Any other goes to the events sheet."""
    for event in events:
        if event.kind == K.RECOGNITION:
            same = (
                event.decision_date == event.effective_date
                and event.directive_id is None
                and event.issuing_body == start.issuing_body
                and not event.notes
            )
            return event if same else None
        if event.kind not in (K.TEMPORARY_TRANSFER, K.EXEMPTION, K.TRANSFER_OUT, K.TRANSFER_IN):
            return None
    return None


def _member_values(member: Member, start: Event | None, recognition: Event | None) -> dict:
    values = {key: getattr(member, key) for key in RECORD_KEYS}
    for column in COLUMNS[Sheet.MEMBERS]:
        if column.kind == "code" and column.key in values:
            values[column.key] = _label(column.choices, values[column.key])
        elif column.kind == "bool" and column.key in values:
            values[column.key] = str(Yes.YES.label) if values[column.key] else ""
    values["unit_code"] = (start.unit if start else member.record_unit).code
    values["admitted_on"] = member.admitted_on
    values["recognized_on"] = member.recognized_on  # a record fact for those received official
    if start is not None:
        values["issuing_body"] = start.issuing_body
        values["directive"] = start.directive.code if start.directive else ""
        if start.kind == K.ADMISSION:
            values["admitted_on"] = start.decision_date
            values["admission_no"] = start.decision_no
            values["ceremony_date"] = start.ceremony_date
            values["sponsors"] = start.sponsors
        else:  # received from outside the system
            values["origin"] = start.other_unit_name
            values["arrived_on"] = start.effective_date
            values["arrival_no"] = start.decision_no
        if start.kind == K.ADMISSION or start.probationary:
            # Recognized here: by the event on this sheet, else (if any) on the events sheet.
            values["recognized_on"] = recognition.effective_date if recognition else None
    if recognition is not None:
        values["recognition_no"] = recognition.decision_no
    values["current_unit"] = member.unit.code if member.unit else ""
    values["status"] = member.get_status_display()
    return values


def _event_values(member: Member, event: Event) -> dict:
    action = event.kind
    values = {
        "citizen_id": member.citizen_id,
        "party_card_no": member.party_card_no,
        "full_name": member.full_name,
        "effective_date": event.effective_date,
        "decision_no": event.decision_no,
        "decision_date": event.decision_date,
        "issuing_body": event.issuing_body,
        "directive": event.directive.code if event.directive else "",
        "notes": event.notes,
    }
    if event.kind == K.TRANSFER_OUT and event.other_unit_id:
        action = EventAction.TRANSFER
        values["unit_code"] = event.other_unit.code
    elif event.kind in (K.TRANSFER_IN, K.RESTORATION, K.READMISSION):
        values["unit_code"] = event.unit.code
    elif event.kind == K.TEMPORARY_TRANSFER and event.other_unit_id:
        values["unit_code"] = event.other_unit.code
    if event.kind in Event.TRANSFER_KINDS:
        values["other_unit_name"] = event.other_unit_name
    if event.kind in Event.REMOVAL_KINDS:
        values["reason"] = _label(Event.Reason, event.reason)
    if event.kind == K.READMISSION:
        values["ceremony_date"] = event.ceremony_date
        values["sponsors"] = event.sponsors
    values["action"] = _label(EventAction, action)
    return values


def roster_rows(queryset) -> Iterator[tuple[dict, list[dict]]]:
    """For each member of ``queryset``: the values of their row on the members sheet and of
    their rows on the events sheet, by column key. Two queries a chunk of 500 members."""
    events = Event.objects.select_related("unit", "other_unit", "directive").order_by(
        "effective_date", "pk"
    )
    members = queryset.select_related("unit", "record_unit").prefetch_related(
        Prefetch("events", queryset=events, to_attr="roster_events")
    )
    today = timezone.localdate()
    with translation.override("vi"):
        for member in members.iterator(chunk_size=500):
            timeline = list(member.roster_events)
            start = timeline[0] if timeline else None
            rest = timeline[1:]
            recognition = _sheet_one_recognition(start, rest) if start else None
            rows = []
            for event in rest:
                if event is recognition:
                    continue
                if event.kind == K.TRANSFER_IN and event.other_unit_id:
                    continue  # the arrival half of a transfer within the system
                rows.append(_event_values(member, event))
            values = _member_values(member, start, recognition)
            age = rules.party_age(timeline, today, admitted_on=member.admitted_on)
            values["party_age"] = round(age.years, 1) if age else None
            yield values, rows


def _cells(ws, sheet: str, values: dict) -> list:
    row = []
    for column in COLUMNS[sheet]:
        value = values.get(column.key)
        # text_cell: a string is stored as text, never a formula ("=1+1" stays "=1+1").
        cell = text_cell(ws, value if value not in (None, "") else None)
        if isinstance(value, datetime.date):
            cell.number_format = DATE_FORMAT
        elif isinstance(value, str):
            cell.number_format = "@"  # text stays text when edited: IDs keep their zeros
        row.append(cell)
    return row


def _header(ws, sheet: str) -> None:
    for index, column in enumerate(COLUMNS[sheet], start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    cells = []
    for column in COLUMNS[sheet]:
        cell = text_cell(ws, column.header)
        cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)


def export_roster(queryset, path) -> int:
    """Write the members of ``queryset`` and their events in the import's shape (write-only,
    streamed: memory does not grow with the members); returns the number of members."""
    wb = Workbook(write_only=True)
    members_ws = wb.create_sheet(MEMBERS_SHEET)
    events_ws = wb.create_sheet(EVENTS_SHEET)
    _header(members_ws, Sheet.MEMBERS)
    _header(events_ws, Sheet.EVENTS)
    count = 0
    for member_values, event_rows in roster_rows(queryset):
        members_ws.append(_cells(members_ws, Sheet.MEMBERS, member_values))
        for values in event_rows:
            events_ws.append(_cells(events_ws, Sheet.EVENTS, values))
        count += 1
    guide = wb.create_sheet(GUIDE_SHEET)
    for line in GUIDE:
        guide.append([text_cell(guide, line)])
    wb.save(path)
    return count
