"""PDF documents of the reports (WeasyPrint), from the same tables as the page.

The HTML is the report's own template (``templates/reports/pdf/``); it loads nothing from
outside: fonts are the system's (Liberation Serif, with Times New Roman's metrics, then DejaVu
Serif), the chart is inline SVG, and any other URL is refused.
"""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string

from ..charts import year_chart_svg
from ..official_forms import OfficialForm
from ..unit_report import UnitReport, letterhead, signatory


class OutsideResourceRefused(ValueError):
    pass


def _no_fetching():
    """A WeasyPrint URL fetcher that fetches nothing (the resource is left out)."""
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise OutsideResourceRefused(f"PDF documents load nothing from outside: {url}")

    return NoFetching()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # a slow import: only when a PDF is made

    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf()


def issue_date_text(place: str, day: datetime.date) -> str:
    return f"{place}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def unit_report_html(report: UnitReport, *, today: datetime.date) -> str:
    head = letterhead(report.unit, report.end)
    return render_to_string(
        "reports/pdf/unit_report.html",
        {
            "report": report,
            "tables": report.tables(),
            "letterhead": head,
            "issued": issue_date_text(head.place, today),
            "signatory": signatory(report.unit),
            "chart": year_chart_svg(report.years, title=report.years_table().title),
        },
    )


def unit_report_pdf(report: UnitReport, *, today: datetime.date) -> bytes:
    return html_to_pdf(unit_report_html(report, today=today))


def official_form_pdf(form: OfficialForm, *, today: datetime.date) -> bytes:
    head = letterhead(form.unit, form.end)
    return html_to_pdf(
        render_to_string(
            "reports/pdf/official_form.html",
            {
                "form": form,
                "letterhead": head,
                "issued": issue_date_text(head.place, today),
                "board": form.unit.kind == form.unit.Kind.ABOVE_GRASSROOTS,
                "signatory": signatory(form.unit),
            },
        )
    )
