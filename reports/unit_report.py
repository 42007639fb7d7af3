"""The Directive 28 report of a unit: ``build_unit_report`` → ``UnitReport``, whose tables
(summary, balance, children, breakdown of the admitted, admissions and removals by year) every
format renders; and the letterhead and signatory of an official document, which the official
forms share.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import Unit, UnitAncestry
from members import choices
from members.models import Directive

from .figures import (
    ROLL_FIGURES,
    AdmissionBreakdown,
    Figures,
    YearFlows,
    admission_breakdown,
    children_figures,
    total_figures,
    unit_figures,
    yearly_flows,
)
from .forms import ALL
from .tables import Cell, Column, RecordsLink, Row, Table, display, heading_row, percent

CHART_FIRST_YEAR = 2019  # Directive 28-CT/TW was issued on 21/01/2019


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
    # Above the tree's root, the committee the office names in its settings (if any).
    superior = ancestors[0].name.upper() if ancestors else settings.LETTERHEAD_SUPERIOR.upper()
    place_unit = next(
        (u for u in (unit, *ancestors) if u.kind == Unit.Kind.ABOVE_GRASSROOTS),
        ancestors[-1] if ancestors else unit,
    )
    place = settings.LETTERHEAD_PLACE or (
        _PLACE_PREFIX.sub("", place_unit.name).strip() or place_unit.name
    )
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


def figure_value(figures: Figures, name: str, flows: str = "flows") -> int:
    if name in ROLL_FIGURES:
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
        return self.directive.code if self.directive else ALL

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
                    Cell(figure_value(f, name, "all_events"), link=self.link(name, directive=ALL))
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
