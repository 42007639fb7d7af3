"""The period (and directive) of a report, read from the query string, and its defaults: the
one period form of every page that shows figures for a period (the reports, the unit page).

GET parameters, all optional: ``year`` (a whole calendar year, which wins over the dates),
``from`` and ``to`` (dd/mm/yyyy; default ``DEFAULT_START`` to today), ``directive`` (a
directive's code, ``ALL`` for every event; default ``DEFAULT_DIRECTIVE`` when it exists). The
records page adds ``figure``, the figure whose records it lists, and ``of``, a category of the
admitted.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Directive
from members.rules import PARTY_FOUNDED_YEAR

from .figures import ADMITTED_SUBSETS, FLOW_KINDS, GROUPED_FIGURES, ROLL_FIGURES

DEFAULT_START = datetime.date(2020, 1, 1)
DEFAULT_DIRECTIVE = "28-CT/TW"
ALL = "all"  # the ``directive`` parameter's value for every event, whatever its directive
FIRST_YEAR, LAST_YEAR = PARTY_FOUNDED_YEAR, 2100  # anything later is a typo
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]


@dataclasses.dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    directive: Directive | None  # None: every event

    @property
    def directive_param(self) -> str:
        return self.directive.code if self.directive else ALL

    def query(self, **extra) -> dict[str, str]:
        """The GET parameters that give this period back (for links and exports)."""
        return {
            "from": self.start.strftime("%d/%m/%Y"),
            "to": self.end.strftime("%d/%m/%Y"),
            "directive": self.directive_param,
            **extra,
        }


class ReportPeriodForm(forms.Form):
    """Bind it to ``request.GET``; ``period(today)`` is the cleaned period. A page with no
    choice of directive (every event counts) passes ``with_directive=False`` and no
    ``directives``: its period's ``directive`` is None."""

    def __init__(
        self,
        data,
        *,
        directives: Iterable[Directive] = (),
        with_directive: bool = True,
        initial=None,
    ):
        super().__init__(data, initial=initial)
        self.directives = {d.code: d for d in directives}
        self.with_directive = with_directive
        date_help = _("ngày/tháng/năm, ví dụ 05/06/2023")
        # "from" is a keyword in Python, so the fields are set here rather than declared.
        for name, label in (("from", _("Từ ngày")), ("to", _("Đến ngày"))):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                input_formats=DATE_FORMATS,
                help_text=date_help,
                widget=forms.DateInput(format=DATE_FORMATS[0], attrs={"size": 10}),
            )
        self.fields["year"] = forms.IntegerField(
            label=_("Hoặc cả năm"),
            required=False,
            min_value=FIRST_YEAR,
            max_value=LAST_YEAR,
            help_text=_("thay cho hai ngày trên"),
        )
        if with_directive:
            self.fields["directive"] = forms.ChoiceField(
                label=_("Thực hiện theo"),
                required=False,
                choices=[
                    *((code, code) for code in self.directives),
                    (ALL, _("Tất cả sự kiện")),
                ],
            )

    @property
    def default_directive(self) -> str:
        return DEFAULT_DIRECTIVE if DEFAULT_DIRECTIVE in self.directives else ALL

    def _check_year(self, name: str) -> None:
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.add_error(
                name,
                _("Năm phải từ %(first)s đến %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )

    def clean(self):
        cleaned = super().clean()
        self._check_year("from")
        self._check_year("to")
        start, end = cleaned.get("from"), cleaned.get("to")
        if not cleaned.get("year") and start and end and end < start:
            self.add_error("to", _("Ngày kết thúc ở trước ngày bắt đầu."))
        return cleaned

    def showing(self, period: Period) -> ReportPeriodForm:
        """An unbound copy that shows ``period`` (the defaults filled in, no year)."""
        return ReportPeriodForm(
            None,
            directives=list(self.directives.values()),
            with_directive=self.with_directive,
            initial={"from": period.start, "to": period.end, "directive": period.directive_param},
        )

    def period(self, today: datetime.date) -> Period:
        """The period asked for (call after ``is_valid()``)."""
        data = self.cleaned_data
        if data.get("year"):
            start = datetime.date(data["year"], 1, 1)
            end = datetime.date(data["year"], 12, 31)
        else:
            start = data.get("from") or DEFAULT_START
            end = data.get("to") or max(today, start)
        code = (data.get("directive") or self.default_directive) if self.with_directive else ALL
        return Period(start=start, end=end, directive=self.directives.get(code))


FIGURES = (*ROLL_FIGURES, *FLOW_KINDS, *GROUPED_FIGURES)


class RecordsForm(ReportPeriodForm):
    """The records behind one figure: the period form plus the figure's name."""

    def __init__(self, data, *, directives: list[Directive]):
        super().__init__(data, directives=directives)
        self.fields["figure"] = forms.ChoiceField(
            label=_("Chỉ tiêu"), choices=[(name, name) for name in FIGURES]
        )
        self.fields["of"] = forms.ChoiceField(
            label=_("Trong đó"),
            required=False,
            choices=[("", "—"), *((name, name) for name in ADMITTED_SUBSETS)],
        )
