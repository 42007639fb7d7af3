# ruff: noqa: F811  (test functions take the imported `cast` fixture as an argument)
"""The downloads as their readers see them: the workbook in openpyxl and in LibreOffice, the PDF
through pdftotext and pdffonts, and the command line's files."""

from __future__ import annotations

import csv
import datetime
import io
import json
import shutil
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from reports import records, unit_report
from reports.renderers import xlsx
from reports.renderers.pdf import html_to_pdf, unit_report_html
from tests.cast import cast  # noqa: F401
from tests.conftest import admit

pytestmark = pytest.mark.django_db
START, END = datetime.date(2020, 1, 1), datetime.date(2023, 6, 5)
TRICKY_NAMES = ("=1+1", "+84 912", "-Lê Văn A", "@SUM(A1)", '=HYPERLINK("http://x")')


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def workbook(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def libreoffice_csv(path: Path) -> list[list[str]]:
    """The first sheet as LibreOffice reads and shows it (UTF-8, formulas recalculated)."""
    out = Path(tempfile.mkdtemp())
    profile = Path(tempfile.mkdtemp())
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            str(path),
            "--outdir",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = (out / (path.stem + ".csv")).read_text(encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)
    return list(csv.reader(io.StringIO(text)))


needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (make system-deps) is not installed"
)


@pytest.fixture
def tricky(cast):
    """Members whose names a spreadsheet would take for formulas, admitted under the directive."""
    for name in TRICKY_NAMES:
        admit(cast.tree.cell_b, datetime.date(2021, 3, 1), full_name=name, directive=cast.directive)
    return cast


def test_text_that_looks_like_a_formula_is_stored_as_text(tricky):
    report = unit_report.build_unit_report(tricky.tree.gc, START, END, tricky.directive)
    book = workbook(xlsx.unit_report_xlsx(report))
    sheet = book["Kết nạp"]
    names = {}
    for row in sheet.iter_rows(min_row=2):
        names[row[1].value] = row[1]
    for name in TRICKY_NAMES:
        cell = names[name]
        assert cell.data_type == "s", name
        assert cell.value == name
    assert not any(c.data_type == "f" for ws in book for row in ws.iter_rows() for c in row), (
        "no formula anywhere"
    )


@needs_soffice
def test_libreoffice_shows_the_tricky_names_exactly(tricky, tmp_path):
    writer = xlsx.WorkbookWriter()
    rows = records.event_records(
        records.record_events(tricky.tree.gc, START, END, tricky.directive, "admitted")
    )
    writer.records_sheet("Kết nạp", records.EVENT_COLUMNS, rows)
    path = tmp_path / "names.xlsx"
    path.write_bytes(writer.save())
    shown = {row[1] for row in libreoffice_csv(path)[1:]}
    for name in TRICKY_NAMES:
        assert name in shown
    assert "2" not in shown  # "=1+1" was not computed


def test_numbers_are_numbers_dates_are_dates_and_the_head_row_is_frozen(tricky):
    report = unit_report.build_unit_report(tricky.tree.gc, START, END, tricky.directive)
    book = workbook(xlsx.unit_report_xlsx(report))
    summary = book.worksheets[0]
    values = {row[1].value: row[2] for row in summary.iter_rows() if row[1].value}
    cell = values["Kết nạp đảng viên mới"]
    assert cell.value == 1 + len(TRICKY_NAMES) and cell.data_type == "n"
    assert cell.number_format == "#,##0"
    sheet = book["Kết nạp"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 28
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["STT", "Họ và tên", "Ngày sinh", "Chi bộ"]
    first = sheet[2]
    assert isinstance(first[0].value, int)
    assert first[2].is_date and first[2].number_format == "DD/MM/YYYY"
    assert first[7].value.date() == datetime.date(2021, 3, 1)
    assert first[8].value == "28-CT/TW"
    titles = [ws.title for ws in book.worksheets]
    assert titles == ["Báo cáo", *(str(t) for _f, t in records.RECORD_SHEETS)]


def test_the_workbook_is_written_in_write_only_mode():
    writer = xlsx.WorkbookWriter()
    assert writer.workbook.write_only
    rows = (
        records.RecordRow(
            n,
            (
                n,
                f"Người {n}",
                datetime.date(1990, 1, 1),
                "Chi bộ",
                "",
                "",
                None,
                datetime.date(2022, 1, 1),
                "",
                "",
            ),
        )
        for n in range(1, 5001)
    )  # a generator: never a list in memory
    writer.records_sheet("Nhiều", records.EVENT_COLUMNS, rows)
    book = workbook(writer.save())
    assert book["Nhiều"].max_row == 5001


@pytest.mark.parametrize("limit", [len(TRICKY_NAMES), len(TRICKY_NAMES) + 1])
def test_a_list_of_records_stops_at_the_limit_with_a_note(tricky, monkeypatch, limit):
    # The tricky fixture admits len(TRICKY_NAMES) + 1 members under the directive.
    admitted = len(TRICKY_NAMES) + 1
    monkeypatch.setattr(xlsx, "SHEET_RECORDS_MAX", limit)
    report = unit_report.build_unit_report(tricky.tree.gc, START, END, tricky.directive)
    book = workbook(xlsx.unit_report_xlsx(report))
    rows = [[c.value for c in row] for row in book["Kết nạp"].iter_rows(min_row=2)]
    everything = list(
        records.event_records(
            records.record_events(tricky.tree.gc, START, END, tricky.directive, "admitted")
        )
    )
    assert len(everything) == admitted
    listed = [row[1] for row in rows if isinstance(row[0], int)]
    assert listed == [record.values[1] for record in everything[:limit]]  # the first, in order
    notes = [row[1] for row in rows if row[0] is None]
    if limit < admitted:
        assert notes == [
            f"Danh sách chỉ ghi {limit} bản ghi đầu tiên (theo ngày hiệu lực). Xem đầy đủ trên "
            "trang danh sách bản ghi của số liệu này, hoặc xuất báo cáo của từng đơn vị trực "
            "thuộc."
        ]
    else:
        assert notes == []  # all of them fit: no note


def test_the_pdf_has_the_letterhead_the_title_and_serif_fonts(cast, tmp_path):
    report = unit_report.build_unit_report(cast.tree.root, START, END, cast.directive)
    path = tmp_path / "report.pdf"
    path.write_bytes(html_to_pdf(unit_report_html(report, today=END)))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in flat
    assert "QUẬN ỦY THỐT NỐT" in flat  # the unit, in capitals
    assert "Thốt Nốt, ngày 05 tháng 06 năm 2023" in flat
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ THỊ SỐ 28-CT/TW" in flat
    assert "Từ ngày 01/01/2020 đến ngày 05/06/2023" in flat
    assert "T/M BAN THƯỜNG VỤ" in flat and "NGƯỜI LẬP BIỂU" in flat.upper()
    assert "Trang 1/" in flat
    assert "Cân đối ✓" in flat
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "Liberation-Serif" in fonts  # Times New Roman metrics, every diacritic
    assert all(line.split()[-4] == "yes" for line in fonts.splitlines()[2:])  # embedded


def test_the_pdf_loads_nothing_from_outside(monkeypatch):
    from reports.renderers.pdf import OutsideResourceRefused, _no_fetching

    with pytest.raises(OutsideResourceRefused):
        _no_fetching()("http://example.com/logo.png")
    opened = []
    monkeypatch.setattr("urllib.request.OpenerDirector.open", lambda *a, **k: opened.append(a))
    pdf = html_to_pdf('<p>x</p><img src="http://example.com/logo.png">')
    assert pdf.startswith(b"%PDF")
    assert opened == []


def test_the_chart_is_inline_svg_with_every_year(cast):
    from reports.charts import year_chart_svg

    report = unit_report.build_unit_report(cast.tree.root, START, END, None)
    svg = year_chart_svg(report.years, title="<Kết nạp & ra>")
    assert svg.startswith("<svg") and "&lt;Kết nạp &amp; ra&gt;" in svg
    for year in range(2019, 2024):
        assert f">{year}</text>" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_the_page_and_the_downloads_show_the_same_figures(client, cast):
    client.force_login(cast.users.board)
    params = {"from": "01/01/2020", "to": "05/06/2023", "directive": "all"}
    page = client.get(reverse("reports:unit_report", args=[cast.tree.root.code]), params)
    summary = page.context["tables"][0]
    book = workbook(
        client.get(reverse("reports:unit_report_xlsx", args=[cast.tree.root.code]), params).content
    )
    written = {row[1]: row[2] for row in book.worksheets[0].iter_rows(values_only=True)}
    for row in summary.rows:
        assert written[row.label] == row.cells[0].value, row.label


# --- the command line ----------------------------------------------------------------------


def command(*args: str) -> str:
    out = StringIO()
    call_command("directive28_report", *args, stdout=out)
    return out.getvalue()


ARGS = ("--unit", "thot-not", "--from", "01/01/2020", "--to", "05/06/2023")


def test_the_command_writes_json_to_stdout_or_to_a_file(cast, tmp_path):
    printed = json.loads(command(*ARGS, "--directive", "28-CT/TW"))
    assert printed["admitted"] == 1 and printed["balanced"] is True
    path = tmp_path / "figures.json"
    assert command(*ARGS, "--directive", "28-CT/TW", "--output", str(path)) == ""
    assert json.loads(path.read_text(encoding="utf-8")) == printed


@time_machine.travel(datetime.datetime(2023, 6, 5, 9, 0), tick=False)
def test_the_command_writes_the_same_pdf_and_workbook_as_the_page(cast, tmp_path):
    pdf, book = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    command(*ARGS, "--format", "pdf", "--output", str(pdf))
    command(*ARGS, "--format", "xlsx", "--output", str(book), "--directive", "28-CT/TW")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "BÁO CÁO TÌNH HÌNH TĂNG, GIẢM ĐẢNG VIÊN" in text
    assert "ngày 05 tháng 06 năm 2023" in text
    sheet = workbook(book.read_bytes()).worksheets[0]
    written = {row[1]: row[2] for row in sheet.iter_rows(values_only=True)}
    assert written["Kết nạp đảng viên mới"] == 1
    assert written["Đảng viên cuối kỳ"] == 4


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--format", "pdf"), "needs --output"),
        (("--format", "xlsx"), "needs --output"),
        (("--format", "xlsx", "--output", "/no/such/dir/r.xlsx"), "no directory"),
    ],
)
def test_the_command_refuses_bad_outputs_with_status_2(cast, extra, message):
    with pytest.raises(CommandError, match=message) as refused:
        command(*ARGS, *extra)
    assert refused.value.returncode == 2


def test_an_unknown_format_is_a_usage_error(cast):
    with pytest.raises(CommandError, match="invalid choice") as refused:
        command(*ARGS, "--format", "docx")
    assert refused.value.returncode == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "docx"], "argument --format: invalid choice: 'docx'"),
        (["--format", "pdf"], "--format pdf needs --output FILE"),
    ],
)
def test_bad_arguments_print_one_line_and_exit_2(args, message):
    from django.conf import settings as django_settings

    result = subprocess.run(
        [sys.executable, "manage.py", "directive28_report", *ARGS, *args],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.stdout == ""
