"""Report pages and their exports: the Directive 28 report of a unit (page, PDF, Excel), the
official forms 1 and 2 (page, PDF, Excel) and the records behind each figure.

Every view reads GET only, fetches the unit through ``branches.access.get_unit`` (404 outside
the user's scope; every role may read and export what it may see) and reads the period with
``ReportPeriodForm``: bad input shows the form's errors (status 400), never a 500. The tables
come from ``reports.unit_report``, ``official_forms`` and ``records``; each format only renders
them. Every view reads inside ``report_reads()``: from the read replica, when there is one,
and as of one moment (docs/decisions/0007-report-snapshot.md).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from branches.access import get_unit
from branches.models import Unit
from members.models import BulkRead, Directive
from members.services.read_log import log_bulk_read
from thotnot_members.replica import report_reads

from . import official_forms
from .charts import year_chart_svg
from .figures import ROLL_FIGURES
from .forms import Period, RecordsForm, ReportPeriodForm
from .records import (
    EVENT_COLUMNS,
    ROLL_COLUMNS,
    event_records,
    record_events,
    record_periods,
    records_title,
    roll_records,
)
from .renderers import pdf, xlsx
from .tables import Cell, Table
from .unit_report import build_unit_report

RECORDS_PER_PAGE = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- shared steps --------------------------------------------------------------------------------


def _directives() -> list[Directive]:
    return list(Directive.objects.order_by("-issued_on", "code"))


def _read_period(request: HttpRequest, unit: Unit, *, with_directive: bool = True):
    """The form bound to the query string, and its period (None when the input is bad); by
    default up to today, or to a dissolved unit's last day."""
    directives = _directives() if with_directive else []
    form = ReportPeriodForm(request.GET, directives=directives, with_directive=with_directive)
    if not form.is_valid():
        return form, None
    period = form.period(unit.last_day(timezone.localdate()))
    return form.showing(period), period


def _attach_urls(tables: list[Table], period: Period, cells: Iterable[Cell] = ()) -> None:
    """Give the page's figures their links (each to its records, when it is not 0) and each
    child its own report's."""
    query = urlencode(period.query())
    # A few units and a few dozen figures, a hundred links or more: each unit's paths
    # reversed once, each figure's query (the same for every child) encoded once.
    path = functools.cache(lambda view, code: reverse(view, args=[code]))
    records_query = functools.cache(lambda link: urlencode(link.query()))
    figures = list(cells)
    for table in tables:
        for row in table.all_rows():
            if row.unit_code:
                row.url = f"{path('reports:unit_report', row.unit_code)}?{query}"
            figures += row.cells
    for cell in figures:
        if cell.link is not None and cell.value:
            link = cell.link
            anywhere = dataclasses.replace(link, unit_code="")  # the query leaves out the unit
            cell.url = f"{path('reports:records', link.unit_code)}?{records_query(anywhere)}"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _log(request, kind, unit: Unit, period: Period, what: str = "", records=None) -> None:
    """A bulk read of ``unit``'s data for ``period`` (members.services.read_log)."""
    when = f"{period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}"
    log_bulk_read(
        user=request.user,
        kind=kind,
        unit=unit,
        what=f"{what} · {when}" if what else when,
        records=records,
    )


def _filename(prefix: str, unit: Unit, period: Period, extension: str) -> str:
    return f"{prefix}-{unit.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{extension}"


def _without_directive(period: Period) -> str:
    return urlencode({k: v for k, v in period.query().items() if k != "directive"})


def _bad_input(request, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=400)


# --- the Directive 28 report ---------------------------------------------------------------------


@login_required
@require_safe
@report_reads()
def unit_report(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit(request.user, code)
    form, period = _read_period(request, unit)
    context = {"unit": unit, "form": form, "period": period}
    if period is None:
        return _bad_input(request, "reports/unit_report.html", context)
    report = build_unit_report(unit, period.start, period.end, period.directive)
    tables = report.tables()
    key_figures = report.key_figures()
    _attach_urls(tables, period, [cell for _name, _label, cell in key_figures])
    context.update(
        report=report,
        tables=tables,
        key_figures=key_figures,
        chart=year_chart_svg(report.years, title=report.years_table().title),
        export_query=urlencode(period.query()),
        form_query=_without_directive(period),
    )
    return render(request, "reports/unit_report.html", context)


@login_required
@require_safe
@never_cache
@report_reads()
def unit_report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit(request.user, code)
    form, period = _read_period(request, unit)
    if period is None:
        return _bad_input(request, "reports/unit_report.html", {"unit": unit, "form": form})
    report = build_unit_report(unit, period.start, period.end, period.directive)
    content = pdf.unit_report_pdf(report, today=timezone.localdate())
    _log(request, BulkRead.Kind.REPORT_PDF, unit, period)
    return _download(content, "application/pdf", _filename("bao-cao", unit, period, "pdf"))


@login_required
@require_safe
@never_cache
@report_reads()
def unit_report_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit(request.user, code)
    form, period = _read_period(request, unit)
    if period is None:
        return _bad_input(request, "reports/unit_report.html", {"unit": unit, "form": form})
    report = build_unit_report(unit, period.start, period.end, period.directive)
    content = xlsx.unit_report_xlsx(report)
    _log(request, BulkRead.Kind.REPORT_XLSX, unit, period)
    return _download(content, XLSX_TYPE, _filename("bao-cao", unit, period, "xlsx"))


# --- the official forms --------------------------------------------------------------------------

FORMS = {1: official_forms.form1, 2: official_forms.form2}


@report_reads()
def _official_form(request: HttpRequest, code: str, number: int, output: str) -> HttpResponse:
    unit = get_unit(request.user, code)
    form, period = _read_period(request, unit, with_directive=False)
    context = {"unit": unit, "form": form, "period": period, "number": number}
    if period is None:
        return _bad_input(request, "reports/official_form.html", context)
    official = FORMS[number](unit, period.start, period.end)
    name = f"mau-{number}"
    if output in ("pdf", "xlsx"):
        _log(request, BulkRead.Kind.OFFICIAL_FORM, unit, period, f"{name}.{output}")
    if output == "pdf":
        content = pdf.official_form_pdf(official, today=timezone.localdate())
        return _download(content, "application/pdf", _filename(name, unit, period, "pdf"))
    if output == "xlsx":
        content = xlsx.official_form_xlsx(official)
        return _download(content, XLSX_TYPE, _filename(name, unit, period, "xlsx"))
    _attach_urls([official.table], period)
    context.update(
        official=official,
        export_query=_without_directive(period),
    )
    return render(request, "reports/official_form.html", context)


@login_required
@require_safe
def form1(request: HttpRequest, code: str) -> HttpResponse:
    return _official_form(request, code, 1, "page")


@login_required
@require_safe
@never_cache
def form1_pdf(request: HttpRequest, code: str) -> HttpResponse:
    return _official_form(request, code, 1, "pdf")


@login_required
@require_safe
@never_cache
def form1_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    return _official_form(request, code, 1, "xlsx")


@login_required
@require_safe
def form2(request: HttpRequest, code: str) -> HttpResponse:
    return _official_form(request, code, 2, "page")


@login_required
@require_safe
@never_cache
def form2_pdf(request: HttpRequest, code: str) -> HttpResponse:
    return _official_form(request, code, 2, "pdf")


@login_required
@require_safe
@never_cache
def form2_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    return _official_form(request, code, 2, "xlsx")


# --- the records behind a figure -----------------------------------------------------------------


@login_required
@require_safe
@report_reads()
def records(request: HttpRequest, code: str) -> HttpResponse:
    """The events (or roll periods) counted in one figure of a unit's report, 100 a page. Each
    name links to the member's record when the user may open it."""
    unit = get_unit(request.user, code)
    form = RecordsForm(request.GET, directives=_directives())
    context = {"unit": unit, "form": form}
    if not form.is_valid():
        return _bad_input(request, "reports/records.html", context)
    period = form.period(unit.last_day(timezone.localdate()))
    figure = form.cleaned_data["figure"]
    scope = Unit.objects.visible_to(request.user)
    visible = Exists(scope.filter(pk=OuterRef("member__record_unit")))
    if figure in ROLL_FIGURES:
        rows = record_periods(unit, period.start, period.end, figure)
        columns, make_rows = ROLL_COLUMNS, roll_records
    else:
        rows = record_events(
            unit, period.start, period.end, period.directive, figure, form.cleaned_data["of"]
        )
        columns, make_rows = EVENT_COLUMNS, event_records
    rows = rows.annotate(member_visible=visible)
    page = Paginator(rows, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    objects = list(page.object_list)
    _log(
        request,
        BulkRead.Kind.FIGURE_RECORDS,
        unit,
        period,
        f"{figure} · {page.number}",
        records=len(objects),
    )
    context.update(
        period=period,
        figure=figure,
        figure_label=records_title(figure, form.cleaned_data["of"]),
        columns=columns,
        page=page,
        rows=zip(objects, make_rows(objects, page.start_index()), strict=True),
        is_roll=figure in ROLL_FIGURES,
        report_query=urlencode(period.query()),
        page_query=urlencode({**period.query(), "figure": figure, "of": form.cleaned_data["of"]}),
    )
    return render(request, "reports/records.html", context)
