"""Issue 30: an upload is bounded by what it unpacks to, and its text by what a person types.

The hostile workbooks are written here, part by part, with zipfile (streamed: the 1 GB string
is never held in memory); the memory of opening them is measured in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from members.models import RosterImport
from members.roster import bounds
from members.roster.reading import open_workbook
from tests.members.roster_files import MEMBER_HEADER, book
from tests.members.roster_files import member as row
from tests.members.test_roster import checked, messages, only_error, rows

Status = RosterImport.Status
ROOT = Path(__file__).resolve().parents[2]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Đảng viên" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def hostile(path: Path, sheet_chunks, *, shared_chunks=None, extra=()) -> Path:
    """A minimal .xlsx whose sheet XML (and shared strings) are written chunk by chunk."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for chunk in sheet_chunks:
                part.write(chunk.encode())
        if shared_chunks is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_chunks:
                    part.write(chunk.encode())
        for name, data in extra:
            z.writestr(name, data)
    return path


def twenty_million_empty_cells():
    yield _SHEET_HEAD + '<sheetData><row r="1">'
    block = "<c/>" * 100_000
    for _ in range(200):
        yield block
    yield "</row></sheetData></worksheet>"


def one_gigabyte_string():
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>'
    )
    block = "a" * (1 << 20)
    for _ in range(1024):
        yield block
    yield "</t></si></sst>"


def a_sheet_using_string_0():
    yield _SHEET_HEAD + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>'
    yield "</worksheet>"


_PROBE = """
import json, sys
import django
django.setup()
from members.roster.reading import open_workbook
wb, problem = open_workbook(open(sys.argv[1], "rb").read(), max_bytes=20 * 1024 * 1024)
if wb is not None:
    for row in wb.worksheets[0].iter_rows(values_only=True):
        pass
# The peak of this process's own memory (VmHWM): getrusage's ru_maxrss would keep the peak of
# the test process it was forked from, which exec does not reset.
status = open("/proc/self/status").read().splitlines()
peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"problem": problem, "max_rss_mb": peak_kb / 1024}))
"""


def probe(path: Path) -> dict:
    """Open ``path`` as the importer does, in a fresh process: its message and peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_row_of_twenty_million_empty_cells_is_refused_in_bounded_memory(tmp_path):
    path = hostile(tmp_path / "row.xlsx", twenty_million_empty_cells())
    assert path.stat().st_size < 1024 * 1024  # a small upload, far under the 20 MB cap
    found = probe(path)
    assert "nén quá mức" in found["problem"]
    assert found["max_rss_mb"] < 300


def test_a_one_gigabyte_shared_string_is_refused_in_bounded_memory(tmp_path):
    path = hostile(
        tmp_path / "string.xlsx", a_sheet_using_string_0(), shared_chunks=one_gigabyte_string()
    )
    assert path.stat().st_size < 5 * 1024 * 1024
    found = probe(path)
    assert "sharedStrings.xml" in found["problem"]
    assert found["max_rss_mb"] < 300


def test_a_wide_row_under_the_ratio_is_refused_by_its_cells(tmp_path, settings):
    settings.ROSTER_UPLOAD_RATIO_MAX = 10**9  # only the row's width may refuse it
    path = hostile(tmp_path / "wide.xlsx", twenty_million_empty_cells())
    problem = open_workbook(path.read_bytes(), max_bytes=20 * 1024 * 1024)[1]
    assert problem == "xl/worksheets/sheet1.xml: dòng 1 có quá 500 ô; hãy xoá các cột thừa."


def test_an_absurd_dimension_is_refused(tmp_path):
    sheet = [_SHEET_HEAD + '<dimension ref="A1:XFD1048576"/><sheetData/></worksheet>']
    problem = open_workbook(hostile(tmp_path / "dim.xlsx", sheet).read_bytes(), max_bytes=10**8)[1]
    assert "vùng dữ liệu khai báo “A1:XFD1048576” quá lớn" in problem


def test_too_many_rows_by_number_is_refused(tmp_path):
    sheet = [
        _SHEET_HEAD + '<sheetData><row r="900000"><c r="A900000"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    ]
    problem = open_workbook(hostile(tmp_path / "far.xlsx", sheet).read_bytes(), max_bytes=10**8)[1]
    assert "trang tính có quá 200.000 dòng" in problem


def test_a_long_cell_is_refused_with_its_part(tree, tmp_path, settings):
    settings.ROSTER_UPLOAD_CELL_CHARS_MAX = 100
    path = book(tmp_path / "long.xlsx", [row(full_name="Nguyễn " + "a" * 200)])
    ri = checked(path, histories=False)
    assert ri.file_errors == [
        "xl/worksheets/sheet1.xml: một ô có quá 100 ký tự."
    ]  # openpyxl writes inline strings


def test_the_unpacked_total_is_a_setting(tree, tmp_path, settings):
    settings.ROSTER_UPLOAD_UNPACKED_MAX = 1000
    ri = checked(book(tmp_path / "ds.xlsx", [row()]), histories=False)
    assert ri.file_errors and ri.file_errors[0].startswith("Tệp giải nén ra ")


def test_macros_are_refused(tree, tmp_path):
    path = book(tmp_path / "ds.xlsm", [row()])
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    ri = checked(path, histories=False)
    assert ri.file_errors == [
        "Tệp có macro (.xlsm): hãy lưu lại dạng .xlsx không có macro rồi tải lại."
    ]


def test_limits_come_from_settings(settings):
    settings.ROSTER_UPLOAD_COLUMNS_MAX = 7
    assert bounds.Limits.from_settings().columns_max == 7


def test_a_member_after_a_long_blank_stretch_is_read(tree, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Đảng viên"
    ws.append(MEMBER_HEADER)
    ws.append(row())
    for column, value in enumerate(row(citizen_id="092185000002", full_name="Lê Văn Xa"), 1):
        ws.cell(row=1_200, column=column, value=value)
    for number in range(3, 1_200):  # formatted but empty, as Excel writes them
        ws.cell(row=number, column=1).number_format = "@"
    wb.save(tmp_path / "gap.xlsx")
    ri = checked(tmp_path / "gap.xlsx", histories=False)
    assert ri.status == Status.READY, messages(ri)
    assert [r.number for r in rows(ri)] == [2, 1_200]


@pytest.mark.parametrize(
    "name",
    ["\ufeff", "\u202e\u200b", "\u2060\u00ad", "Nguy\ufffdn Văn A", "Lê Văn \u202eA"],
    ids=[
        "bom",
        "rtl override and zero width",
        "word joiner and soft hyphen",
        "invalid utf-8",
        "bidi inside",
    ],
)
def test_invisible_or_broken_names_are_refused_by_the_importer(tree, tmp_path, name):
    message = only_error(checked(book(tmp_path / "ds.xlsx", [row(full_name=name)])))
    assert message.startswith("trang Đảng viên, dòng 2, cột Họ và tên: Văn bản ")


@pytest.mark.parametrize(
    "cid, problem",
    [
        ("000000000000", "3 chữ số đầu “000” không phải mã tỉnh"),
        ("097185000001", "3 chữ số đầu “097” không phải mã tỉnh"),
        ("092985000001", "chữ số thứ 4"),
    ],
)
def test_citizen_id_structure_is_checked_by_the_importer(tree, tmp_path, cid, problem):
    message = only_error(checked(book(tmp_path / "ds.xlsx", [row(citizen_id=cid)])))
    assert problem in message
