"""Issue 30, item 2: every workbook the app writes keeps text that looks like a formula as text.

Read back with openpyxl (the cell's type) and with LibreOffice (what a clerk's spreadsheet
shows: converted to CSV, formulas recalculated), then re-imported."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from common.xlsx import text_cell
from members import roster
from members.models import Member, RosterImport
from tests.conftest import admit, d
from tests.members.test_roster import checked, messages

NAMES = ["=1+1", '=HYPERLINK("http://example.com","bấm")', "@SUM(A1)", "+1", "-2"]


@pytest.fixture
def formula_named(tree):
    return [
        admit(tree.gcell, d("2020-01-01"), full_name=name, citizen_id=f"09208500000{i}")
        for i, name in enumerate(NAMES)
    ]


def libreoffice_csv(path: Path, sheet: int = 1) -> list[list[str]]:
    """The sheet as LibreOffice shows it (UTF-8 CSV; formulas, if any, recalculated)."""
    out = Path(tempfile.mkdtemp())
    profile = tempfile.mkdtemp()
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{sheet}",
            str(path),
            "--outdir",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": profile},
    )
    found = sorted(out.glob("*.csv"))
    with found[0].open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)
    return rows


def test_the_roster_export_stores_formula_names_as_text(formula_named, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.all(), path)
    ws = load_workbook(path)[roster.MEMBERS_SHEET]
    names = {c.value: c for c in ws["B"][1:]}
    assert set(names) == set(NAMES)
    assert {c.data_type for c in names.values()} == {"s"}  # text, never "f" (formula)


def test_the_export_command_stores_formula_names_as_text(formula_named, tmp_path):
    path = tmp_path / "lenh.xlsx"
    call_command("export_roster", str(path), stdout=io.StringIO())
    ws = load_workbook(path)[roster.MEMBERS_SHEET]
    assert {c.value for c in ws["B"][1:]} == set(NAMES)
    assert {c.data_type for c in ws["B"][1:]} == {"s"}


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_the_formula_names_as_typed(formula_named, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.all(), path)
    shown = libreoffice_csv(path)
    assert sorted(r[1] for r in shown[1:] if r) == sorted(NAMES)  # not "2", not a link


def test_the_export_of_formula_names_imports_again_unchanged(formula_named, tmp_path):
    path = tmp_path / "xuat.xlsx"
    roster.export_roster(Member.objects.all(), path)
    ri = checked(path)
    assert ri.status == RosterImport.Status.READY, messages(ri)
    assert ri.summary["unchanged"] == len(NAMES)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_the_one_cell_writer_marks_every_formula_start(value, tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("a")
    ws.append([text_cell(ws, value), text_cell(ws, "thường"), text_cell(ws, 3)])
    wb.save(tmp_path / "a.xlsx")
    a1, b1, c1 = next(load_workbook(tmp_path / "a.xlsx")["a"].iter_rows())
    # XML stores a carriage return as a line feed; either way the cell is quoted text.
    assert (a1.value, a1.data_type, a1.quotePrefix) == (value.replace("\r", "\n"), "s", True)
    assert (b1.data_type, b1.quotePrefix, c1.data_type) == ("s", False, "n")
