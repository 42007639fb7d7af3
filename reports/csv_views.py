"""CSV beside Excel (issue 30): the official forms and the records behind a figure, as the
pages show them, written by ``common.csvfile`` (formula-like text quoted)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from branches.access import get_unit
from branches.models import Unit
from common.csvfile import CSV_TYPE, csv_bytes
from thotnot_members.replica import report_reads

from .figures import ROLL_FIGURES
from .forms import RecordsForm
from .records import (
    EVENT_COLUMNS,
    ROLL_COLUMNS,
    event_records,
    record_events,
    record_periods,
    roll_records,
)
from .tables import Table
from .views import FORMS, _bad_input, _directives, _download, _filename, _read_period


def table_rows(table: Table) -> tuple[list[str], list[list]]:
    header = [str(table.label_header), *(str(c.label) for c in table.columns)]
    if table.with_codes:
        header.insert(0, "")
    rows = []
    for row in [*table.rows, *([table.total] if table.total else [])]:
        values = [str(row.label), *(cell.value for cell in row.cells)]
        rows.append([row.code, *values] if table.with_codes else values)
    return header, rows


def _form_csv(request: HttpRequest, code: str, number: int) -> HttpResponse:
    unit = get_unit(request.user, code)
    form, period = _read_period(request, unit, with_directive=False)
    if period is None:
        context = {"unit": unit, "form": form, "number": number}
        return _bad_input(request, "reports/official_form.html", context)
    with report_reads():
        official = FORMS[number](unit, period.start, period.end)
    header, rows = table_rows(official.table)
    content = csv_bytes(header, rows)
    return _download(content, CSV_TYPE, _filename(f"mau-{number}", unit, period, "csv"))


@login_required
@require_safe
@never_cache
def form1_csv(request: HttpRequest, code: str) -> HttpResponse:
    return _form_csv(request, code, 1)


@login_required
@require_safe
@never_cache
def form2_csv(request: HttpRequest, code: str) -> HttpResponse:
    return _form_csv(request, code, 2)


@login_required
@require_safe
@never_cache
@report_reads()
def records_csv(request: HttpRequest, code: str) -> HttpResponse:
    """Every record behind one figure (the page's 100 a page, all at once)."""
    unit = get_unit(request.user, code)
    form = RecordsForm(request.GET, directives=_directives())
    if not form.is_valid():
        return _bad_input(request, "reports/records.html", {"unit": unit, "form": form})
    period = form.period(unit.last_day(timezone.localdate()))
    figure = form.cleaned_data["figure"]
    if figure in ROLL_FIGURES:
        rows = record_periods(unit, period.start, period.end, figure)
        columns, make_rows = ROLL_COLUMNS, roll_records
    else:
        rows = record_events(
            unit, period.start, period.end, period.directive, figure, form.cleaned_data["of"]
        )
        columns, make_rows = EVENT_COLUMNS, event_records
    # A member since gone out of the user's scope: the row is counted, the person not named.
    scope = Unit.objects.visible_to(request.user)
    rows = list(
        rows.annotate(member_visible=Exists(scope.filter(pk=OuterRef("member__record_unit"))))
    )
    lines = [
        row.values if record.member_visible else (row.values[0], "", "", *row.values[3:])
        for record, row in zip(rows, make_rows(rows), strict=True)
    ]
    content = csv_bytes([str(c.label) for c in columns], lines)
    return _download(content, CSV_TYPE, _filename(f"danh-sach-{figure}", unit, period, "csv"))
