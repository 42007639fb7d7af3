"""The official forms 1 and 2 of Hướng dẫn 11-HD/BTCTW, this period against the same period
one year earlier: ``form1`` / ``form2`` → ``OfficialForm``.

Each form is a row specification, one tuple per row of the printed form:
``(code, label, figure, level)``. ``figure`` names the value the row shows (read from the
period's ``Figures`` for form 1, its ``AdmissionBreakdown`` for form 2; None for a heading with
no value), and from it follows the records the values link to. The rows with a code of the
form's top level (form 1's letters A-D, form 2's numbers 1-7) are printed in bold.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import Unit
from members import choices

from .figures import (
    ADMITTED_SUBSETS,
    AGE_BANDS,
    ROLL_FIGURES,
    AdmissionBreakdown,
    Figures,
    admission_breakdown,
    unit_figures,
)
from .forms import ALL
from .tables import Cell, Column, RecordsLink, Row, Table, heading_row, percent
from .unit_report import Balance, period_text

# --- form 1: increase and decrease of members ----------------------------------------------------

FORM1_ROWS = (
    ("A", gettext_lazy("Đảng viên cuối kỳ trước"), "members_at_start", 0),
    ("B", gettext_lazy("Tăng trong kỳ"), "increase", 0),
    ("1", gettext_lazy("Kết nạp"), "admissions", 0),
    ("", gettext_lazy("trong đó: kết nạp lại"), "readmitted", 1),
    ("2", gettext_lazy("Chuyển đến (từ tỉnh khác, từ huyện khác trong tỉnh)"), "transferred_in", 0),
    ("3", gettext_lazy("Phục hồi đảng tịch"), "restored", 0),
    ("4", gettext_lazy("Chuyển đến do sắp xếp tổ chức"), "moved_in", 0),
    ("C", gettext_lazy("Giảm trong kỳ"), "decrease", 0),
    ("1", gettext_lazy("Từ trần"), "died", 0),
    ("2", gettext_lazy("Khai trừ"), "expelled", 0),
    ("3", gettext_lazy("Xóa tên"), "struck_off", 0),
    ("", gettext_lazy("trong đó: đảng viên dự bị"), "struck_off_probationary", 1),
    ("4", gettext_lazy("Xin ra khỏi Đảng, cho ra khỏi Đảng"), "discharged", 0),
    ("5", gettext_lazy("Chuyển đi (đến tỉnh khác, huyện khác trong tỉnh)"), "transferred_out", 0),
    ("6", gettext_lazy("Chuyển đi do sắp xếp tổ chức"), "moved_out", 0),
    ("D", gettext_lazy("Đảng viên cuối kỳ"), "members_at_end", 0),
)

# Form 1's values that are not a single figure of ``Figures.all_events``. Every event counts
# (not one directive's), so that A + B − C = D.
FORM1_VALUES: dict[str, Callable[[Figures], int]] = {
    "increase": lambda f: f.all_events.increase + f.moved_in,
    "decrease": lambda f: f.all_events.decrease + f.moved_out,
    "admissions": lambda f: f.all_events.admitted + f.all_events.readmitted,
    "struck_off_probationary": lambda f: f.all_struck_off_probationary,
    **{name: (lambda f, name=name: getattr(f, name)) for name in ROLL_FIGURES},
}
FORM1_SUMS = ("increase", "decrease")  # no records page lists a sum
# The members moved by a reorganization: their rows only when either period has any.
FORM1_IF_ANY = ("moved_in", "moved_out")


def _form1_value(figures: Figures, figure: str) -> int:
    value = FORM1_VALUES.get(figure)
    return value(figures) if value else getattr(figures.all_events, figure)


# --- form 2: new admissions ----------------------------------------------------------------------

AGE_BAND_LABELS = (
    gettext_lazy("Từ 18 đến 30 tuổi"),
    gettext_lazy("Từ 31 đến 35 tuổi"),
    gettext_lazy("Từ 36 đến 40 tuổi"),
    gettext_lazy("Từ 41 đến 45 tuổi"),
    gettext_lazy("Từ 46 đến 50 tuổi"),
    gettext_lazy("Từ 51 đến 55 tuổi"),
    gettext_lazy("Từ 56 đến 60 tuổi"),
    gettext_lazy("Trên 60 tuổi"),
)


def _categories(category: str, choice, *, leave_out=()) -> tuple:
    """One row per value of ``choice``: the admitted of that category (``category:value``)."""
    return tuple(
        ("", label, f"{category}:{value}", 1)
        for value, label in choice.choices
        if value not in leave_out
    )


FORM2_ROWS = (
    ("1", gettext_lazy("Tổng số đảng viên mới kết nạp"), "total", 0),
    ("", gettext_lazy("trong đó: nữ"), "women", 1),
    ("", gettext_lazy("dân tộc thiểu số"), "ethnic_minorities", 1),
    ("", gettext_lazy("người có đạo"), "religious", 1),
    ("", gettext_lazy("đoàn viên Đoàn TNCS Hồ Chí Minh"), "youth_union", 1),
    ("", gettext_lazy("chủ doanh nghiệp tư nhân"), "private_business_owners", 1),
    ("", gettext_lazy("có vợ/chồng là người nước ngoài"), "married_to_foreigners", 1),
    ("", gettext_lazy("kết nạp lại"), "readmitted", 1),
    ("2", gettext_lazy("Nghề nghiệp"), None, 0),
    *_categories("occupation", choices.OccupationGroup),
    ("3", gettext_lazy("Tuổi đời (khi kết nạp)"), None, 0),
    *(
        ("", label, f"age_bands:{key}", 1)
        for (key, _low, _high), label in zip(AGE_BANDS, AGE_BAND_LABELS, strict=True)
    ),
    ("", gettext_lazy("Tuổi bình quân"), "mean_age", 1),
    ("4", gettext_lazy("Trình độ giáo dục phổ thông"), None, 0),
    *_categories("general_education", choices.GeneralEducation),
    ("5", gettext_lazy("Trình độ chuyên môn, nghiệp vụ"), None, 0),
    *_categories("professional_level", choices.ProfessionalLevel),
    ("6", gettext_lazy("Học hàm"), None, 0),
    *_categories("academic_title", choices.AcademicTitle, leave_out=(choices.AcademicTitle.NONE,)),
    ("7", gettext_lazy("Số tổ chức cơ sở đảng có kết nạp đảng viên"), "grassroots_admitting", 0),
)


def _form2_value(breakdown: AdmissionBreakdown, figure: str) -> int | float | None:
    """``total``, ``women``…: an attribute; ``occupation:farmer``: a count of a category."""
    category, _colon, value = figure.partition(":")
    return getattr(breakdown, category)[value] if value else getattr(breakdown, figure)


def _form2_records(figure: str) -> tuple[str, str] | None:
    """The records behind form 2's ``figure``: the admitted (of one category, when the records
    page can list it), the re-admitted; none for the ages and the organizations."""
    if figure == "total":
        return ("admissions", "")
    if figure == "readmitted":
        return ("readmitted", "")
    if figure in ADMITTED_SUBSETS:
        return ("admissions", figure)
    return None


# --- the forms -----------------------------------------------------------------------------------


@dataclasses.dataclass
class OfficialForm:
    number: int
    unit: Unit
    start: datetime.date
    end: datetime.date
    table: Table

    @property
    def title(self) -> str:
        subject = {
            1: _("THỐNG KÊ TĂNG, GIẢM ĐẢNG VIÊN"),
            2: _("THỐNG KÊ ĐẢNG VIÊN MỚI KẾT NẠP"),
        }[self.number]
        return subject

    @property
    def subtitle(self) -> str:
        return capfirst(period_text(self.start, self.end))

    @property
    def form_label(self) -> str:
        return _("Mẫu %(number)s") % {"number": self.number}


COMPARISON_COLUMNS = (
    gettext_lazy("Kỳ này"),
    gettext_lazy("Cùng kỳ năm trước"),
    gettext_lazy("% kỳ này so với cùng kỳ"),
)


def same_period_last_year(start: datetime.date, end: datetime.date):
    def back(day: datetime.date) -> datetime.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29/02
            return day.replace(year=day.year - 1, day=28)

    return back(start), back(end)


@dataclasses.dataclass(frozen=True)
class _Periods:
    unit: Unit
    start: datetime.date
    end: datetime.date
    last_start: datetime.date
    last_end: datetime.date

    def links(self, records: tuple[str, str] | None) -> tuple[RecordsLink | None, ...]:
        if records is None:
            return (None, None)
        figure, subset = records
        return (
            RecordsLink(self.unit.code, figure, self.start, self.end, ALL, subset),
            RecordsLink(self.unit.code, figure, self.last_start, self.last_end, ALL, subset),
        )


def _compare(label, this, last, *, code, level, strong, links, kind) -> Row:
    return Row(
        str(label),
        [
            Cell(this, kind=kind, link=links[0]),
            Cell(last, kind=kind, link=links[1]),
            Cell(percent(this, last), kind="decimal"),
        ],
        code=code,
        level=level,
        strong=strong,
    )


def _comparison_table(key: str, rows: list[Row], notes: list[str]) -> Table:
    return Table(
        key=key,
        title="",
        label_header=_("Tiêu chí"),
        columns=[Column(str(label), 16) for label in COMPARISON_COLUMNS],
        rows=rows,
        notes=notes,
        with_codes=True,
        label_width=52,
    )


def form1(unit: Unit, start: datetime.date, end: datetime.date) -> OfficialForm:
    """Form 1, increase and decrease of members: every event (not one directive's), so that
    A + B − C = D. Six queries (unit_figures for both periods)."""
    periods = _Periods(unit, start, end, *same_period_last_year(start, end))
    now = unit_figures(unit, start, end)
    before = unit_figures(unit, periods.last_start, periods.last_end)
    rows = []
    for code, label, figure, level in FORM1_ROWS:
        this, last = _form1_value(now, figure), _form1_value(before, figure)
        if figure in FORM1_IF_ANY and not (this or last):
            continue
        records = None if figure in FORM1_SUMS else (figure, "")
        rows.append(
            _compare(
                label,
                this,
                last,
                code=code,
                level=level,
                strong=code.isalpha(),
                links=periods.links(records),
                kind="int",
            )
        )
    notes = [
        _(
            "Chuyển đến, chuyển đi: mọi chuyển sinh hoạt chính thức từ ngoài vào, từ trong ra "
            "khỏi đơn vị; hệ thống chưa phân biệt tỉnh khác với huyện khác trong tỉnh nên gộp "
            "một dòng."
        ),
        _(
            "Xóa tên đảng viên dự bị: đảng viên còn dự bị (chưa được công nhận chính thức) khi "
            "bị xóa tên."
        ),
        _("Kỳ này: %(now)s. %(check)s")
        % {"now": period_text(start, end), "check": Balance.of(now).verdict},
        _("Cùng kỳ năm trước: %(before)s. %(check)s")
        % {
            "before": period_text(periods.last_start, periods.last_end),
            "check": Balance.of(before).verdict,
        },
    ]
    return OfficialForm(1, unit, start, end, _comparison_table("form1", rows, notes))


def form2(unit: Unit, start: datetime.date, end: datetime.date) -> OfficialForm:
    """Form 2, new admissions: every admission and re-admission (not one directive's), by the
    categories of Hướng dẫn 11-HD/BTCTW. Two queries (one breakdown per period)."""
    periods = _Periods(unit, start, end, *same_period_last_year(start, end))
    now = admission_breakdown(unit, start, end)
    before = admission_breakdown(unit, periods.last_start, periods.last_end)
    rows = []
    for code, label, figure, level in FORM2_ROWS:
        if figure is None:
            rows.append(heading_row(label, len(COMPARISON_COLUMNS), code=code))
            continue
        rows.append(
            _compare(
                label,
                _form2_value(now, figure),
                _form2_value(before, figure),
                code=code,
                level=level,
                strong=code.isdigit(),
                links=periods.links(_form2_records(figure)),
                kind="decimal" if figure == "mean_age" else "int",
            )
        )
    notes = [
        _("Kỳ này: %(now)s; cùng kỳ năm trước: %(before)s.")
        % {
            "now": period_text(start, end),
            "before": period_text(periods.last_start, periods.last_end),
        },
        _("Tuổi tính đến ngày quyết định kết nạp."),
    ]
    return OfficialForm(2, unit, start, end, _comparison_table("form2", rows, notes))
