"""The article's figures in every form of the report, on the demo data: the page, the PDF (read
back with pdftotext), the workbook (read with openpyxl and with LibreOffice) and the JSON of the
command line. The demo is loaded once for this module (about a minute); every demo-based check of
the report pages lives here."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import shutil
import subprocess
import tempfile
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from branches.models import Unit
from reports import unit_report
from reports.figures import unit_figures

PERIOD = {"from": "01/01/2020", "to": "05/06/2023", "directive": "28-CT/TW"}
START, END = datetime.date(2020, 1, 1), datetime.date(2023, 6, 5)

# The article (Cần Thơ newspaper, 05/06/2023), unit by unit: figure → value.
ARTICLE = {
    "q-thot-not": {
        "members_at_end": 3129,
        "grassroots_organizations": 26,
        "admitted": 393,
        "removed": 102,
        "struck_off": 56,
        "discharged": 46,
    },
    "p-thot-not": {"admitted": 31, "removed": 15, "struck_off": 5, "discharged": 10},
    "p-thot-not-long-thanh-2": {"members_at_end": 48, "admitted": 2, "struck_off": 2},
}
# The summary's label of each figure (the same label in the page, the PDF and the workbook).
LABELS = {name: str(label) for name, label, _level, _strong in unit_report.SUMMARY_ROWS}
LABELS["grassroots_organizations"] = "Tổ chức cơ sở đảng trực thuộc (cuối kỳ)"
# A report page's queries: session, user, unit, directives, figures (3), children (3; 1 for a
# cell, which has none), breakdown (2: the admitted, and the grassroots organizations admitting,
# which a cell has none of), years, the menu's role check.
PAGE_QUERIES = {"q-thot-not": 14, "p-thot-not": 14, "p-thot-not-long-thanh-2": 11}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def the_articles_day():
    with time_machine.travel(datetime.datetime(2023, 6, 5, 9, 0), tick=False):
        yield


@pytest.fixture(scope="module")
def downloads(demo, django_db_blocker, tmp_path_factory):
    """The PDF and the workbook of each unit, fetched once as the district's leader."""
    from django.test import Client

    folder = tmp_path_factory.mktemp("downloads")
    client = Client()
    with (
        django_db_blocker.unblock(),
        time_machine.travel(datetime.datetime(2023, 6, 5, 9, 0), tick=False),
    ):
        client.force_login(get_user_model().objects.get(username="lanhdao"))
        files = {}
        for code in ARTICLE:
            for kind in ("pdf", "xlsx"):
                response = client.get(reverse(f"reports:unit_report_{kind}", args=[code]), PERIOD)
                assert response.status_code == 200, (code, kind)
                path = folder / f"{code}.{kind}"
                path.write_bytes(response.content)
                files[code, kind] = path
    return files


def vietnamese(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def summary_cells(path: Path) -> dict[str, object]:
    """The summary sheet's first value column, by row label (the first row of each label)."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    values: dict[str, object] = {}
    for row in sheet.iter_rows(values_only=True):
        if row[1] is not None:
            values.setdefault(row[1], row[2])
    return values


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ARTICLE)
def test_the_page_shows_the_articles_figures(client, demo, code):
    client.force_login(get_user_model().objects.get(username="lanhdao"))
    response = client.get(reverse("reports:unit_report", args=[code]), PERIOD)
    html = response.content.decode()
    for name, value in ARTICLE[code].items():
        if name in ("members_at_end", "admitted", "removed", "struck_off", "discharged"):
            card = re.search(rf'data-figure="{name}">.*?<span class="value">([^<]+)<', html)
            assert card is not None and card.group(1) == vietnamese(value), (name, card)
        row = re.search(
            rf'<th scope="row" class="label">{re.escape(LABELS[name])}</th>\s*'
            r'<td class="num">(?:<a [^>]+>)?([^<]+)<',
            html,
        )
        assert row is not None and row.group(1) == vietnamese(value), name
    assert "Cân đối ✓" in html


@pytest.mark.parametrize("code", ARTICLE)
def test_the_pdf_shows_the_articles_figures(downloads, code):
    text = subprocess.run(
        ["pdftotext", "-layout", str(downloads[code, "pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ THỊ SỐ 28-CT/TW" in flat
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in flat
    assert "Thốt Nốt, ngày 05 tháng 06 năm 2023" in flat
    assert "Từ ngày 01/01/2020 đến ngày 05/06/2023" in flat
    assert Unit.objects.get(code=code).name.upper() in flat
    for name, value in ARTICLE[code].items():
        # the row of the summary: its label, then the figure under 28-CT/TW
        assert re.search(rf"{re.escape(LABELS[name])}\s+{re.escape(vietnamese(value))}\b", text), (
            name
        )
    assert "Cân đối ✓" in flat
    assert re.search(r"Trang 1/\d", flat)


def test_the_district_pdf_has_the_city_above_it_and_the_standing_committee_signs(downloads):
    text = subprocess.run(
        ["pdftotext", str(downloads["q-thot-not", "pdf"]), "-"], capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert "ĐẢNG BỘ THÀNH PHỐ CẦN THƠ ĐẢNG BỘ QUẬN THỐT NỐT *" in flat
    assert "T/M BAN THƯỜNG VỤ" in flat and "NGƯỜI LẬP BIỂU" in flat
    assert "Cộng" in flat and "Kết nạp và đưa ra khỏi Đảng theo năm" in flat


@pytest.mark.parametrize("code", ARTICLE)
def test_the_workbook_holds_the_articles_figures_as_numbers(downloads, code):
    cells = summary_cells(downloads[code, "xlsx"])
    for name, value in ARTICLE[code].items():
        assert cells[LABELS[name]] == value, name
        assert isinstance(cells[LABELS[name]], int)
    book = openpyxl.load_workbook(downloads[code, "xlsx"])
    figures = ARTICLE[code]
    if "admitted" in figures:
        assert book["Kết nạp"].max_row == 1 + figures["admitted"]
    if "struck_off" in figures:
        assert book["Xóa tên"].max_row == 1 + figures["struck_off"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_the_articles_figures(downloads):
    out, profile = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            *(str(downloads[code, "xlsx"]) for code in ARTICLE),
            "--outdir",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for code, figures in ARTICLE.items():
        rows = list(csv.reader(io.StringIO((out / f"{code}.csv").read_text(encoding="utf-8"))))
        shown: dict[str, str] = {}
        for row in rows:
            if len(row) > 2 and row[1]:
                shown.setdefault(row[1], row[2])
        assert shown["BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ THỊ SỐ 28-CT/TW"] == ""
        for name, value in figures.items():
            # as LibreOffice shows "#,##0" in its default (en-US) locale: 3,129
            assert shown[LABELS[name]] == f"{value:,}", (code, name)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("code", ARTICLE)
def test_the_json_of_the_command_line_has_the_same_figures(demo, code):
    out = StringIO()
    call_command(
        "directive28_report",
        "--unit",
        code,
        "--from",
        PERIOD["from"],
        "--to",
        PERIOD["to"],
        "--directive",
        "28-CT/TW",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    for name, value in ARTICLE[code].items():
        assert data[name] == value, name
    assert data["balanced"] is True


@pytest.mark.parametrize("code", ARTICLE)
def test_the_report_pages_query_count_does_not_depend_on_the_number_of_units(
    client, demo, django_assert_num_queries, code
):
    client.force_login(get_user_model().objects.get(username="lanhdao"))
    with django_assert_num_queries(PAGE_QUERIES[code]):
        assert client.get(reverse("reports:unit_report", args=[code]), PERIOD).status_code == 200


def test_the_districts_children_are_its_26_grassroots_organizations_and_add_up(demo):
    district = Unit.objects.get(code="q-thot-not")
    report = unit_report.build_unit_report(district, START, END, None)
    assert len(report.children) == 26
    assert all(child.unit.kind in Unit.GRASSROOTS_KINDS for child in report.children)
    assert report.total.members_at_end == 3129
    assert report.total.flows.admitted == 393
    assert report.total.flows.removed == 106  # all events: 4 expulsions besides the 102
    ward = next(c for c in report.children if c.unit.code == "p-thot-not")
    assert ward == unit_figures(ward.unit, START, END)


def test_the_cell_secretary_may_not_export_the_district(client, demo):
    client.force_login(get_user_model().objects.get(username="bithu.longthanh2"))
    for name in ("reports:unit_report", "reports:unit_report_pdf", "reports:unit_report_xlsx"):
        assert client.get(reverse(name, args=["q-thot-not"]), PERIOD).status_code == 404
        assert client.get(reverse(name, args=["p-thot-not"]), PERIOD).status_code == 404
    own = client.get(reverse("reports:unit_report_xlsx", args=["p-thot-not-long-thanh-2"]), PERIOD)
    assert own.status_code == 200


def test_the_records_behind_the_districts_struck_off(client, demo):
    client.force_login(get_user_model().objects.get(username="bantochuc"))
    response = client.get(
        reverse("reports:records", args=["q-thot-not"]), {**PERIOD, "figure": "struck_off"}
    )
    assert response.context["page"].paginator.count == 56
    links = re.findall(r'href="/members/(\d+)/"', response.content.decode())
    assert len(set(links)) == 56


def test_form_1_of_the_district_balances_and_form_2_counts_every_admission(client, demo):
    client.force_login(get_user_model().objects.get(username="lanhdao"))
    year = {"year": "2022"}
    form1 = client.get(reverse("reports:form1", args=["q-thot-not"]), year).context["official"]
    cells = {row.code: row.cells for row in form1.table.rows if row.code in {"A", "B", "C", "D"}}
    for column in (0, 1):
        a, b, c, d = (cells[code][column].value for code in "ABCD")
        assert a + b - c == d
    form2 = client.get(reverse("reports:form2", args=["q-thot-not"]), year).context["official"]
    total = form2.table.rows[0]
    district = Unit.objects.get(code="q-thot-not")
    figures = unit_figures(district, datetime.date(2022, 1, 1), datetime.date(2022, 12, 31))
    assert total.cells[0].value == figures.all_events.admitted + figures.all_events.readmitted
