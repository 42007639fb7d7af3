"""The reports as rows: one function per report builds its tables from the counting layer
(``reports.figures``), and every format renders those same tables (the page and the PDF through
``reports.renderers.html``, Excel through ``reports.renderers.xlsx``; the JSON of the
command line is ``Figures.as_dict()`` of the same figures). So a figure cannot differ between
the page, the PDF, the workbook and the JSON: there is one place that computes and labels it.

- ``build_unit_report`` → ``UnitReport``: the Directive 28 report (summary, balance, children,
  breakdown of the admitted, admissions and removals by year);
- ``form1`` / ``form2`` → ``OfficialForm``: the official forms 1 and 2, this period against the same
  period one year earlier;
- ``event_records`` / ``roll_records``: the records behind a figure, as rows.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from branches.models import Unit, UnitAncestry
from members import choices
from members.models import Directive, Event, Membership

from .figures import (
    AGE_BANDS,
    AdmissionBreakdown,
    Figures,
    YearFlows,
    admission_breakdown,
    children_figures,
    flow_events,
    roll_members,
    total_figures,
    unit_figures,
    yearly_flows,
)

CHART_FIRST_YEAR = 2019  # Directive 28-CT/TW was issued on 21/01/2019


# --- the table model -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RecordsLink:
    """Where the records behind a value are: a figure of a unit over a period."""

    unit_code: str
    figure: str
    start: datetime.date
    end: datetime.date
    directive: str  # a directive's code, or "all"
    subset: str = ""  # of the admitted: one category (figures.ADMITTED_SUBSETS)

    def query(self) -> dict[str, str]:
        query = {
            "figure": self.figure,
            "from": self.start.strftime("%d/%m/%Y"),
            "to": self.end.strftime("%d/%m/%Y"),
            "directive": self.directive,
        }
        if self.subset:
            query["of"] = self.subset
        return query


@dataclasses.dataclass
class Cell:
    value: Any  # int, float, str or None ("—")
    kind: str = "int"  # "int", "decimal" (one decimal place), "text"
    link: RecordsLink | None = None
    url: str = ""  # set by the page's view from ``link``

    @property
    def display(self) -> str:
        return display(self.value, self.kind)


@dataclasses.dataclass
class Row:
    label: str
    cells: list[Cell]
    code: str = ""  # the form's row code (A, B, 1, 2…)
    level: int = 0  # 0 a main row, 1 "of whom", 2 deeper
    strong: bool = False
    unit_code: str = ""  # children tables: the child, whose own report the label links to
    url: str = ""  # set by the page's view from ``unit_code``


@dataclasses.dataclass(frozen=True)
class Column:
    label: str
    width: float = 13  # in Excel characters


@dataclasses.dataclass
class Table:
    key: str
    title: str
    label_header: str
    columns: list[Column]
    rows: list[Row]
    total: Row | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    with_codes: bool = False
    label_width: float = 46
    wide: bool = False  # many columns: smaller type in print

    def all_rows(self) -> Iterator[Row]:
        yield from self.rows
        if self.total is not None:
            yield self.total

    def cells(self) -> Iterator[Cell]:
        for row in self.all_rows():
            yield from row.cells


def display(value, kind: str = "int") -> str:
    """A value as the page and the PDF print it: 3.129, 112,5, "—" for no value."""
    if value is None:
        return "—"
    if kind == "text":
        return str(value)
    return _number(value, 1 if kind == "decimal" else None, get_language())


@functools.lru_cache(maxsize=4096, typed=True)  # 1 and 1.0 print differently
def _number(value: int | float, decimal_pos: int | None, language: str | None) -> str:
    """Django's number_format, kept per language: a report page prints ~500 figures, most of
    them small numbers that repeat, and number_format reads the locale's formats each time."""
    return number_format(value, decimal_pos=decimal_pos, force_grouping=True)


def heading_row(label, columns: int, *, code: str = "") -> Row:
    """A row that only heads the rows under it (no values)."""
    return Row(str(label), [Cell("", "text") for _i in range(columns)], code=code, strong=True)


def percent(part: int | float | None, whole: int | float | None) -> float | None:
    """part / whole × 100, one decimal; None ("—") when the whole is 0."""
    if part is None or not whole:
        return None
    return round(part * 100 / whole, 1)


def same_period_last_year(start: datetime.date, end: datetime.date):
    def back(day: datetime.date) -> datetime.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29/02
            return day.replace(year=day.year - 1, day=28)

    return back(start), back(end)


def period_text(start: datetime.date, end: datetime.date) -> str:
    if (start.day, start.month, end.day, end.month) == (1, 1, 31, 12) and start.year == end.year:
        return _("năm %(year)s") % {"year": start.year}
    return _("từ ngày %(start)s đến ngày %(end)s") % {
        "start": start.strftime("%d/%m/%Y"),
        "end": end.strftime("%d/%m/%Y"),
    }


# --- letterhead ----------------------------------------------------------------------------------

_PLACE_PREFIX = re.compile(
    r"^(đảng bộ|đảng ủy|quận ủy|huyện ủy|thành ủy|tỉnh ủy|thị ủy|chi bộ)\s+"
    r"((thành phố|tỉnh|quận|huyện|thị xã|phường|xã|thị trấn)\s+)?",
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True)
class Letterhead:
    superior: str  # the committee above the unit ("ĐẢNG BỘ THÀNH PHỐ CẦN THƠ"), or ""
    unit: str  # the unit, in capitals
    place: str  # where the report is made ("Thốt Nốt")


def letterhead(unit: Unit, day: datetime.date) -> Letterhead:
    """The top left of an official document: the unit under its superior, as the tree was on
    ``day``; the place is the locality of the nearest committee above the grassroots. One
    query: the unit's ancestors on ``day``, each with its own depth."""
    depth = (
        UnitAncestry.objects.valid_on(day)
        .filter(unit=OuterRef("ancestor"))
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ancestors = [
        link.ancestor
        for link in UnitAncestry.objects.valid_on(day)
        .filter(unit=unit)
        .exclude(ancestor=unit)
        .select_related("ancestor")
        .annotate(depth=Subquery(depth, output_field=IntegerField()))
        .order_by("-depth")
    ]
    superior = ancestors[0].name.upper() if ancestors else ""
    place_unit = next(
        (u for u in (unit, *ancestors) if u.kind == Unit.Kind.ABOVE_GRASSROOTS),
        ancestors[-1] if ancestors else unit,
    )
    place = _PLACE_PREFIX.sub("", place_unit.name).strip() or place_unit.name
    return Letterhead(superior=superior, unit=unit.name.upper(), place=place)


def signatory(unit: Unit) -> str:
    """Who signs for the unit: its standing committee, its committee, or the cell."""
    if unit.kind == Unit.Kind.ABOVE_GRASSROOTS:
        return _("T/M BAN THƯỜNG VỤ")
    if unit.kind in (Unit.Kind.GRASSROOTS_COMMITTEE, Unit.Kind.INTERMEDIATE_COMMITTEE):
        return _("T/M ĐẢNG ỦY")
    return _("T/M CHI BỘ")


def directive_title(directive: Directive | None) -> str:
    """ "CHỈ THỊ SỐ 28-CT/TW" from the code's document type (CT, NQ, QĐ, HD, KL)."""
    if directive is None:
        return ""
    kinds = {
        "CT": _("CHỈ THỊ SỐ"),
        "NQ": _("NGHỊ QUYẾT SỐ"),
        "QĐ": _("QUY ĐỊNH SỐ"),
        "HD": _("HƯỚNG DẪN SỐ"),
        "KL": _("KẾT LUẬN SỐ"),
    }
    match = re.search(r"-([A-ZĐ]+)/", directive.code)
    kind = kinds.get(match.group(1), _("VĂN BẢN SỐ")) if match else _("VĂN BẢN SỐ")
    return f"{kind} {directive.code}"


# --- the Directive 28 report ---------------------------------------------------------------------

# The figures of the summary, in the balance's order: (figure, label, level, strong).
SUMMARY_ROWS = (
    ("members_at_start", gettext_lazy("Đảng viên đầu kỳ"), 0, True),
    ("admitted", gettext_lazy("Kết nạp đảng viên mới"), 0, False),
    ("readmitted", gettext_lazy("Kết nạp lại"), 0, False),
    ("transferred_in", gettext_lazy("Chuyển sinh hoạt đến"), 0, False),
    ("restored", gettext_lazy("Phục hồi đảng tịch"), 0, False),
    ("moved_in", gettext_lazy("Chuyển đến do sắp xếp tổ chức"), 0, False),
    ("removed", gettext_lazy("Đưa ra khỏi Đảng"), 0, True),
    ("struck_off", gettext_lazy("Xóa tên trong danh sách đảng viên"), 1, False),
    ("discharged", gettext_lazy("Cho ra khỏi Đảng"), 1, False),
    ("expelled", gettext_lazy("Khai trừ ra khỏi Đảng"), 1, False),
    ("died", gettext_lazy("Từ trần"), 0, False),
    ("transferred_out", gettext_lazy("Chuyển sinh hoạt đi"), 0, False),
    ("moved_out", gettext_lazy("Chuyển đi do sắp xếp tổ chức"), 0, False),
    ("members_at_end", gettext_lazy("Đảng viên cuối kỳ"), 0, True),
)
ROLL_NAMES = ("members_at_start", "members_at_end", "moved_in", "moved_out")

# Short column heads of the children table: (figure, label, width).
CHILD_COLUMNS = (
    ("members_at_start", gettext_lazy("Đầu kỳ"), 9),
    ("admitted", gettext_lazy("Kết nạp"), 9),
    ("readmitted", gettext_lazy("Kết nạp lại"), 9),
    ("transferred_in", gettext_lazy("Chuyển đến"), 9),
    ("restored", gettext_lazy("Phục hồi"), 9),
    ("removed", gettext_lazy("Ra khỏi Đảng"), 9),
    ("struck_off", gettext_lazy("Xóa tên"), 9),
    ("discharged", gettext_lazy("Cho ra"), 9),
    ("expelled", gettext_lazy("Khai trừ"), 9),
    ("died", gettext_lazy("Từ trần"), 9),
    ("transferred_out", gettext_lazy("Chuyển đi"), 9),
    ("moved_in", gettext_lazy("Sắp xếp đến"), 9),
    ("moved_out", gettext_lazy("Sắp xếp đi"), 9),
    ("members_at_end", gettext_lazy("Cuối kỳ"), 9),
)

# Everything a records page may list, with its title.
FIGURE_LABELS = {
    **{name: label for name, label, _level, _strong in SUMMARY_ROWS},
    "admissions": gettext_lazy("Kết nạp (kể cả kết nạp lại)"),
    "recognized": gettext_lazy("Công nhận đảng viên chính thức"),
    "exempted": gettext_lazy("Miễn sinh hoạt đảng"),
    "temporary_transfers": gettext_lazy("Chuyển sinh hoạt tạm thời"),
    "struck_off_probationary": gettext_lazy("Xóa tên đảng viên dự bị"),
}


def figure_value(figures: Figures, name: str, flows: str = "flows") -> int:
    if name in ROLL_NAMES:
        return getattr(figures, name)
    return getattr(getattr(figures, flows), name)


@dataclasses.dataclass(frozen=True)
class Balance:
    """start + increase − decrease = end, over every event (``Figures.balance_difference``)."""

    start: int
    increase: int
    decrease: int
    end: int
    difference: int  # 0 when balanced

    @classmethod
    def of(cls, figures: Figures) -> Balance:
        f = figures.all_events
        return cls(
            start=figures.members_at_start,
            increase=f.increase + figures.moved_in,
            decrease=f.decrease + figures.moved_out,
            end=figures.members_at_end,
            difference=figures.balance_difference,
        )

    @property
    def ok(self) -> bool:
        return self.difference == 0

    @property
    def equation(self) -> str:
        return (
            f"{display(self.start)} + {display(self.increase)} − {display(self.decrease)} "
            f"= {display(self.start + self.increase - self.decrease)}"
        )

    @property
    def verdict(self) -> str:
        if self.ok:
            return _("Cân đối ✓")
        return _("Chênh lệch %(difference)s so với đảng viên cuối kỳ (%(end)s)") % {
            "difference": display(self.difference),
            "end": display(self.end),
        }

    @property
    def text(self) -> str:
        return _(
            "Kiểm tra cân đối (tất cả sự kiện): đầu kỳ + tăng − giảm = %(equation)s; "
            "cuối kỳ %(end)s. %(verdict)s"
        ) % {"equation": self.equation, "end": display(self.end), "verdict": self.verdict}


@dataclasses.dataclass
class UnitReport:
    unit: Unit
    start: datetime.date
    end: datetime.date
    directive: Directive | None
    figures: Figures
    children: list[Figures]
    total: Figures | None
    breakdown: AdmissionBreakdown
    years: list[YearFlows]

    @property
    def balance(self) -> Balance:
        return Balance.of(self.figures)

    @property
    def directive_param(self) -> str:
        return self.directive.code if self.directive else "all"

    @property
    def directive_heading(self) -> str:
        if self.directive is None:
            return _("Tất cả sự kiện")
        return _("Theo %(code)s") % {"code": self.directive.code}

    @property
    def directive_phrase(self) -> str:
        """For titles: "theo 28-CT/TW" or "tất cả sự kiện"."""
        if self.directive is None:
            return _("tất cả sự kiện")
        return _("theo %(code)s") % {"code": self.directive.code}

    @property
    def title(self) -> str:
        if self.directive is None:
            return _("BÁO CÁO TÌNH HÌNH TĂNG, GIẢM ĐẢNG VIÊN")
        return _("BÁO CÁO KẾT QUẢ THỰC HIỆN %(directive)s") % {
            "directive": directive_title(self.directive)
        }

    @property
    def subtitle(self) -> str:
        text = capfirst(period_text(self.start, self.end))
        if self.directive is not None:
            return f"{self.directive.title} — {text}"
        return text

    def link(
        self, figure: str, unit: Unit | None = None, directive: str | None = None, subset: str = ""
    ):
        return RecordsLink(
            unit_code=(unit or self.unit).code,
            figure=figure,
            start=self.start,
            end=self.end,
            directive=directive or self.directive_param,
            subset=subset,
        )

    def key_figures(self) -> list[tuple[str, str, Cell]]:
        """The figures the article reports, in large type at the top of the page:
        (figure, label, cell)."""
        f = self.figures
        return [
            (name, str(label), Cell(figure_value(f, name), link=self.link(name)))
            for name, label in (
                ("members_at_end", gettext_lazy("Đảng viên cuối kỳ")),
                ("admitted", gettext_lazy("Kết nạp")),
                ("removed", gettext_lazy("Đưa ra khỏi Đảng")),
                ("struck_off", gettext_lazy("Xóa tên")),
                ("discharged", gettext_lazy("Cho ra khỏi Đảng")),
            )
        ]

    # --- tables ---

    def summary_table(self) -> Table:
        f = self.figures
        columns = [Column(self.directive_heading, 18)]
        if self.directive is not None:
            columns.append(Column(_("Tất cả sự kiện"), 18))
        rows = []
        for name, label, level, strong in SUMMARY_ROWS:
            cells = [Cell(figure_value(f, name), link=self.link(name))]
            if self.directive is not None:
                cells.append(
                    Cell(figure_value(f, name, "all_events"), link=self.link(name, directive="all"))
                )
            rows.append(Row(str(label), cells, level=level, strong=strong))
        if self.unit.kind == Unit.Kind.ABOVE_GRASSROOTS:
            rows.append(
                Row(
                    _("Tổ chức cơ sở đảng trực thuộc (cuối kỳ)"),
                    [Cell(f.grassroots_organizations) for _column in columns],
                )
            )
        return Table(
            key="summary",
            title=_("Số liệu %(period)s") % {"period": period_text(self.start, self.end)},
            label_header=_("Chỉ tiêu"),
            columns=columns,
            rows=rows,
            notes=[
                _(
                    "Đầu kỳ: đảng viên trong danh sách cuối ngày %(before)s; cuối kỳ: cuối ngày "
                    "%(end)s. Chuyển sinh hoạt giữa hai chi bộ cùng trong đơn vị không tính."
                )
                % {
                    "before": (self.start - datetime.timedelta(days=1)).strftime("%d/%m/%Y"),
                    "end": self.end.strftime("%d/%m/%Y"),
                }
            ],
        )

    def children_table(self) -> Table | None:
        if not self.children:
            return None

        def row(figures: Figures, label: str, *, total: bool = False) -> Row:
            unit = None if total else figures.unit
            return Row(
                label,
                [
                    Cell(figure_value(figures, name), link=None if total else self.link(name, unit))
                    for name, _label, _width in CHILD_COLUMNS
                ],
                strong=total,
                unit_code="" if total else figures.unit.code,
            )

        return Table(
            key="children",
            title=_("Các đơn vị trực thuộc (%(directive)s)") % {"directive": self.directive_phrase},
            label_header=_("Đơn vị"),
            columns=[Column(str(label), width) for _name, label, width in CHILD_COLUMNS],
            rows=[row(child, child.unit.name) for child in self.children],
            total=row(self.total, _("Cộng"), total=True),
            notes=[
                _(
                    "Các đơn vị trực thuộc ngày %(end)s. Dòng Cộng là tổng các dòng: chuyển "
                    "sinh hoạt giữa hai đơn vị trực thuộc được tính ở cả hai đơn vị."
                )
                % {"end": self.end.strftime("%d/%m/%Y")}
            ],
            label_width=40,
            wide=True,
        )

    def breakdown_table(self) -> Table:
        b = self.breakdown

        def row(label, value, subset="", level=1, figure="admissions") -> Row:
            link = self.link(figure, subset=subset) if subset or figure != "admissions" else None
            return Row(
                str(label),
                [Cell(value, link=link), Cell(percent(value, b.total), kind="decimal")],
                level=level,
            )

        rows = [
            Row(
                _("Tổng số kết nạp (kể cả kết nạp lại)"),
                [
                    Cell(b.total, link=self.link("admissions")),
                    Cell(percent(b.total, b.total), kind="decimal"),
                ],
                strong=True,
            ),
            row(_("Nữ"), b.women, "women"),
            row(_("Dân tộc thiểu số"), b.ethnic_minorities, "ethnic_minorities"),
            row(_("Người có đạo"), b.religious, "religious"),
            row(_("Từ 18 đến 30 tuổi khi kết nạp"), b.aged_18_30),
            row(_("Đoàn viên Đoàn TNCS Hồ Chí Minh"), b.youth_union, "youth_union"),
            row(_("Kết nạp lại"), b.readmitted, figure="readmitted"),
            heading_row(_("Trình độ giáo dục phổ thông"), 2),
            *(
                row(label, b.general_education[value], f"general_education:{value}", level=2)
                for value, label in choices.GeneralEducation.choices
            ),
            heading_row(_("Trình độ chuyên môn, nghiệp vụ"), 2),
            *(
                row(label, b.professional_level[value], f"professional_level:{value}", level=2)
                for value, label in choices.ProfessionalLevel.choices
            ),
        ]
        return Table(
            key="admitted",
            title=_("Đảng viên mới kết nạp (%(directive)s)") % {"directive": self.directive_phrase},
            label_header=_("Chỉ tiêu"),
            columns=[Column(_("Số lượng"), 12), Column(_("Tỷ lệ (%)"), 12)],
            rows=rows,
            notes=[_("Tuổi tính đến ngày quyết định kết nạp.")],
        )

    def years_table(self) -> Table:
        return Table(
            key="years",
            title=_("Kết nạp và đưa ra khỏi Đảng theo năm (%(directive)s)")
            % {"directive": self.directive_phrase},
            label_header=_("Năm"),
            columns=[Column(_("Kết nạp"), 14), Column(_("Đưa ra khỏi Đảng"), 18)],
            rows=[Row(str(y.year), [Cell(y.admitted), Cell(y.removed)]) for y in self.years],
            notes=[
                _("Năm %(year)s tính đến ngày %(end)s.")
                % {"year": self.end.year, "end": self.end.strftime("%d/%m/%Y")}
            ],
            label_width=12,
        )

    def tables(self) -> list[Table]:
        return [
            t
            for t in (
                self.summary_table(),
                self.children_table(),
                self.breakdown_table(),
                self.years_table(),
            )
            if t is not None
        ]


def build_unit_report(
    unit: Unit, start: datetime.date, end: datetime.date, directive: Directive | None
) -> UnitReport:
    """Everything the report shows, in a constant number of queries (9 with children, 6 for a
    cell): figures (3), children (3, or 1 when there are none), breakdown (2, or 1 below the
    grassroots level), years (1)."""
    children = children_figures(unit, start, end, directive)
    return UnitReport(
        unit=unit,
        start=start,
        end=end,
        directive=directive,
        figures=unit_figures(unit, start, end, directive),
        children=children,
        total=total_figures(unit, children),
        breakdown=admission_breakdown(unit, start, end, directive),
        years=yearly_flows(unit, min(CHART_FIRST_YEAR, end.year), end, directive),
    )


# --- the official forms --------------------------------------------------------------------------


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


def _compare(label, this, last, *, code="", level=0, strong=False, links=(None, None), kind="int"):
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
    last_start, last_end = same_period_last_year(start, end)
    now, before = unit_figures(unit, start, end), unit_figures(unit, last_start, last_end)

    def links(figure):
        return (
            RecordsLink(unit.code, figure, start, end, "all"),
            RecordsLink(unit.code, figure, last_start, last_end, "all"),
        )

    def flow(f: Figures, name: str) -> int:
        return getattr(f.all_events, name)

    def pair(get):
        return get(now), get(before)

    def increase(f: Figures) -> int:
        return f.all_events.increase + f.moved_in

    def decrease(f: Figures) -> int:
        return f.all_events.decrease + f.moved_out

    rows = [
        _compare(
            _("Đảng viên cuối kỳ trước"),
            *pair(lambda f: f.members_at_start),
            code="A",
            strong=True,
            links=links("members_at_start"),
        ),
        _compare(_("Tăng trong kỳ"), *pair(increase), code="B", strong=True),
        _compare(
            _("Kết nạp"),
            *pair(lambda f: f.all_events.admitted + f.all_events.readmitted),
            code="1",
            links=links("admissions"),
        ),
        _compare(
            _("trong đó: kết nạp lại"),
            *pair(lambda f: flow(f, "readmitted")),
            level=1,
            links=links("readmitted"),
        ),
        _compare(
            _("Chuyển đến (từ tỉnh khác, từ huyện khác trong tỉnh)"),
            *pair(lambda f: flow(f, "transferred_in")),
            code="2",
            links=links("transferred_in"),
        ),
        _compare(
            _("Phục hồi đảng tịch"),
            *pair(lambda f: flow(f, "restored")),
            code="3",
            links=links("restored"),
        ),
    ]
    if now.moved_in or before.moved_in:
        rows.append(
            _compare(
                _("Chuyển đến do sắp xếp tổ chức"),
                *pair(lambda f: f.moved_in),
                code="4",
                links=links("moved_in"),
            )
        )
    rows += [
        _compare(_("Giảm trong kỳ"), *pair(decrease), code="C", strong=True),
        _compare(_("Từ trần"), *pair(lambda f: flow(f, "died")), code="1", links=links("died")),
        _compare(
            _("Khai trừ"), *pair(lambda f: flow(f, "expelled")), code="2", links=links("expelled")
        ),
        _compare(
            _("Xóa tên"),
            *pair(lambda f: flow(f, "struck_off")),
            code="3",
            links=links("struck_off"),
        ),
        _compare(
            _("trong đó: đảng viên dự bị"),
            *pair(lambda f: f.all_struck_off_probationary),
            level=1,
            links=links("struck_off_probationary"),
        ),
        _compare(
            _("Xin ra khỏi Đảng, cho ra khỏi Đảng"),
            *pair(lambda f: flow(f, "discharged")),
            code="4",
            links=links("discharged"),
        ),
        _compare(
            _("Chuyển đi (đến tỉnh khác, huyện khác trong tỉnh)"),
            *pair(lambda f: flow(f, "transferred_out")),
            code="5",
            links=links("transferred_out"),
        ),
    ]
    if now.moved_out or before.moved_out:
        rows.append(
            _compare(
                _("Chuyển đi do sắp xếp tổ chức"),
                *pair(lambda f: f.moved_out),
                code="6",
                links=links("moved_out"),
            )
        )
    rows.append(
        _compare(
            _("Đảng viên cuối kỳ"),
            *pair(lambda f: f.members_at_end),
            code="D",
            strong=True,
            links=links("members_at_end"),
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
        % {"before": period_text(last_start, last_end), "check": Balance.of(before).verdict},
    ]
    return OfficialForm(1, unit, start, end, _comparison_table("form1", rows, notes))


def form2(unit: Unit, start: datetime.date, end: datetime.date) -> OfficialForm:
    """Form 2, new admissions: every admission and re-admission (not one directive's), by the
    categories of Hướng dẫn 11-HD/BTCTW. Two queries (one breakdown per period)."""
    last_start, last_end = same_period_last_year(start, end)
    now = admission_breakdown(unit, start, end)
    before = admission_breakdown(unit, last_start, last_end)

    def links(figure, subset=""):
        return (
            RecordsLink(unit.code, figure, start, end, "all", subset),
            RecordsLink(unit.code, figure, last_start, last_end, "all", subset),
        )

    def compare(label, attr, **kwargs):
        get = attr if callable(attr) else (lambda b: getattr(b, attr))
        return _compare(label, get(now), get(before), **kwargs)

    def heading(label, code):
        return Row(
            str(label),
            [Cell("", "text"), Cell("", "text"), Cell("", "text")],
            code=code,
            strong=True,
        )

    rows = [
        compare(
            _("Tổng số đảng viên mới kết nạp"),
            "total",
            code="1",
            strong=True,
            links=links("admissions"),
        ),
        compare(_("trong đó: nữ"), "women", level=1, links=links("admissions", "women")),
        compare(
            _("dân tộc thiểu số"),
            "ethnic_minorities",
            level=1,
            links=links("admissions", "ethnic_minorities"),
        ),
        compare(_("người có đạo"), "religious", level=1, links=links("admissions", "religious")),
        compare(
            _("đoàn viên Đoàn TNCS Hồ Chí Minh"),
            "youth_union",
            level=1,
            links=links("admissions", "youth_union"),
        ),
        compare(
            _("chủ doanh nghiệp tư nhân"),
            "private_business_owners",
            level=1,
            links=links("admissions", "private_business_owners"),
        ),
        compare(
            _("có vợ/chồng là người nước ngoài"),
            "married_to_foreigners",
            level=1,
            links=links("admissions", "married_to_foreigners"),
        ),
        compare(_("kết nạp lại"), "readmitted", level=1, links=links("readmitted")),
        heading(_("Nghề nghiệp"), "2"),
        *(
            compare(
                label,
                lambda b, v=value: b.occupation[v],
                level=1,
                links=links("admissions", f"occupation:{value}"),
            )
            for value, label in choices.OccupationGroup.choices
        ),
        heading(_("Tuổi đời (khi kết nạp)"), "3"),
        *(
            compare(label, lambda b, k=key: b.age_bands[k], level=1)
            for (key, _low, _high), label in zip(AGE_BANDS, AGE_BAND_LABELS, strict=True)
        ),
        compare(_("Tuổi bình quân"), "mean_age", level=1, kind="decimal"),
        heading(_("Trình độ giáo dục phổ thông"), "4"),
        *(
            compare(
                label,
                lambda b, v=value: b.general_education[v],
                level=1,
                links=links("admissions", f"general_education:{value}"),
            )
            for value, label in choices.GeneralEducation.choices
        ),
        heading(_("Trình độ chuyên môn, nghiệp vụ"), "5"),
        *(
            compare(
                label,
                lambda b, v=value: b.professional_level[v],
                level=1,
                links=links("admissions", f"professional_level:{value}"),
            )
            for value, label in choices.ProfessionalLevel.choices
        ),
        heading(_("Học hàm"), "6"),
        *(
            compare(
                label,
                lambda b, v=value: b.academic_title[v],
                level=1,
                links=links("admissions", f"academic_title:{value}"),
            )
            for value, label in choices.AcademicTitle.choices
            if value != choices.AcademicTitle.NONE
        ),
        compare(
            _("Số tổ chức cơ sở đảng có kết nạp đảng viên"),
            "grassroots_admitting",
            code="7",
            strong=True,
        ),
    ]
    notes = [
        _("Kỳ này: %(now)s; cùng kỳ năm trước: %(before)s.")
        % {"now": period_text(start, end), "before": period_text(last_start, last_end)},
        _("Tuổi tính đến ngày quyết định kết nạp."),
    ]
    return OfficialForm(2, unit, start, end, _comparison_table("form2", rows, notes))


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


# --- the records behind the figures --------------------------------------------------------------

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
