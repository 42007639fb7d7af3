"""The records behind a figure, as rows: the events (``event_records``) or the roll periods
(``roll_records``) that a figure of a report counts, for the records page and the report's
workbook, and their titles.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import Unit
from members import choices
from members.models import Directive, Event, Membership

from .figures import flow_events, roll_members
from .tables import Column
from .unit_report import SUMMARY_ROWS

# Everything a records page may list, with its title.
FIGURE_LABELS = {
    **{name: label for name, label, _level, _strong in SUMMARY_ROWS},
    "admissions": gettext_lazy("Kết nạp (kể cả kết nạp lại)"),
    "recognized": gettext_lazy("Công nhận đảng viên chính thức"),
    "exempted": gettext_lazy("Miễn sinh hoạt đảng"),
    "temporary_transfers": gettext_lazy("Chuyển sinh hoạt tạm thời"),
    "struck_off_probationary": gettext_lazy("Xóa tên đảng viên dự bị"),
}


EVENT_COLUMNS = (
    Column(gettext_lazy("STT"), 6),
    Column(gettext_lazy("Họ và tên"), 28),
    Column(gettext_lazy("Ngày sinh"), 12),
    Column(gettext_lazy("Chi bộ"), 34),
    Column(gettext_lazy("Sự kiện"), 18),
    Column(gettext_lazy("Số quyết định"), 16),
    Column(gettext_lazy("Ngày quyết định"), 14),
    Column(gettext_lazy("Ngày hiệu lực"), 14),
    Column(gettext_lazy("Thực hiện theo"), 14),
    Column(gettext_lazy("Ghi chú"), 36),
)
ROLL_COLUMNS = (
    Column(gettext_lazy("STT"), 6),
    Column(gettext_lazy("Họ và tên"), 28),
    Column(gettext_lazy("Ngày sinh"), 12),
    Column(gettext_lazy("Chi bộ"), 34),
    Column(gettext_lazy("Sinh hoạt từ ngày"), 16),
    Column(gettext_lazy("Đến trước ngày"), 16),
)


@dataclasses.dataclass(frozen=True)
class RecordRow:
    member_id: int
    values: tuple  # aligned with EVENT_COLUMNS or ROLL_COLUMNS (dates as dates)


def _event_note(event: Event) -> str:
    if event.kind in Event.REMOVAL_KINDS:
        return event.get_reason_display()
    if event.kind in Event.TRANSFER_KINDS:
        other = event.other_unit.name if event.other_unit else event.other_unit_name
        return (_("Đến: %s") if event.kind == Event.Kind.TRANSFER_OUT else _("Từ: %s")) % other
    return ""


def record_events(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None,
    figure: str,
    subset: str = "",
):
    """The events behind ``figure`` (of one category of the admitted), with what their rows
    show."""
    return flow_events(unit, start, end, directive, figure, subset).select_related(
        "member", "unit", "directive", "other_unit"
    )


# The titles of the categories of the admitted, for the records page.
SUBSET_LABELS = {
    "women": gettext_lazy("nữ"),
    "ethnic_minorities": gettext_lazy("dân tộc thiểu số"),
    "religious": gettext_lazy("người có đạo"),
    "youth_union": gettext_lazy("đoàn viên Đoàn TNCS Hồ Chí Minh"),
    "private_business_owners": gettext_lazy("chủ doanh nghiệp tư nhân"),
    "married_to_foreigners": gettext_lazy("có vợ/chồng là người nước ngoài"),
}


def records_title(figure: str, subset: str = "") -> str:
    """ "Kết nạp (kể cả kết nạp lại), trong đó: nữ"."""
    title = str(FIGURE_LABELS.get(figure, figure))
    if not subset:
        return title
    name, _colon, value = subset.partition(":")
    category = {
        "occupation": choices.OccupationGroup,
        "general_education": choices.GeneralEducation,
        "professional_level": choices.ProfessionalLevel,
        "academic_title": choices.AcademicTitle,
    }.get(name)
    label = category(value).label if category else SUBSET_LABELS[name]
    return _("%(figure)s, trong đó: %(subset)s") % {"figure": title, "subset": label}


def record_periods(unit: Unit, start: datetime.date, end: datetime.date, figure: str):
    """The roll periods behind ``figure`` (one of ROLL_FIGURES), with what their rows show."""
    return roll_members(unit, start, end, figure).select_related("member", "unit")


def event_records(events: Iterable[Event], first_number: int = 1) -> Iterator[RecordRow]:
    """Rows of EVENT_COLUMNS (the events need ``member``, ``unit``, ``directive`` and
    ``other_unit`` selected)."""
    for number, event in enumerate(events, start=first_number):
        yield RecordRow(
            event.member_id,
            (
                number,
                event.member.full_name,
                event.member.date_of_birth,
                event.unit.name,
                event.get_kind_display(),
                event.decision_no,
                event.decision_date,
                event.effective_date,
                event.directive.code if event.directive else "",
                _event_note(event),
            ),
        )


def roll_records(periods: Iterable[Membership], first_number: int = 1) -> Iterator[RecordRow]:
    """Rows of ROLL_COLUMNS (the periods need ``member`` and ``unit`` selected)."""
    for number, period in enumerate(periods, start=first_number):
        yield RecordRow(
            period.member_id,
            (
                number,
                period.member.full_name,
                period.member.date_of_birth,
                period.unit.name,
                period.start_date,
                period.end_date,
            ),
        )


# The sheets of records in the report's workbook: (figure, sheet title).
RECORD_SHEETS = (
    ("admitted", gettext_lazy("Kết nạp")),
    ("readmitted", gettext_lazy("Kết nạp lại")),
    ("transferred_in", gettext_lazy("Chuyển đến")),
    ("restored", gettext_lazy("Phục hồi")),
    ("struck_off", gettext_lazy("Xóa tên")),
    ("discharged", gettext_lazy("Cho ra khỏi Đảng")),
    ("expelled", gettext_lazy("Khai trừ")),
    ("died", gettext_lazy("Từ trần")),
    ("transferred_out", gettext_lazy("Chuyển đi")),
)
