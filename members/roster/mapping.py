"""Workbooks of other shapes (issue 29): which column is which, and how an office writes codes.

A workbook that is not the template (the national software's export, an office's own columns)
is read once for its header rows and the values of its coded columns (``survey``); the user
says which of its columns is which of ours (``RosterImport.column_map``) and what each coded
value it writes means; the values (and the headers) are remembered for the user's office
(``RosterValueMapping``) and offered again next time. The check then reads the file through the
same reader as the template (``reading.stage``, with the aliases and the codes), with the same
preview, row errors and all-or-nothing commit.

The office is the unit of the uploader's first editing role (board or grassroots office);
none for a superuser or the command line: their mappings are shared.
"""

from __future__ import annotations

import dataclasses
import io

from django.db import transaction
from openpyxl import load_workbook

from branches.models import Role, Unit
from common.vntext import fold

from ..models import RosterImport, RosterValueMapping
from .columns import COLUMNS, REQUIRED, SHEET_TITLES, Sheet, match_headers, parse_cell, text
from .reading import HEADER_SEARCH_ROWS, _pick_sheets

MAX_VALUES = 60  # distinct unknown values listed a column; more means a wrong column


def office_of(user) -> Unit | None:
    if user is None or user.is_superuser:
        return None
    role = (
        Role.objects.filter(user=user, kind__in=Role.EDITING_KINDS)
        .select_related("unit")
        .order_by("pk")
        .first()
    )
    return role.unit if role else None


def remembered(office: Unit | None) -> dict[str, dict[str, str]]:
    """column key (or HEADER) -> {written, folded: value}, for the office."""
    found: dict[str, dict[str, str]] = {}
    for column, written, value in RosterValueMapping.objects.filter(office=office).values_list(
        "column", "written", "value"
    ):
        found.setdefault(column, {})[written] = value
    return found


def codes_for(ri: RosterImport) -> dict[str, dict[str, str]]:
    """The coded values as the uploader's office writes them, for the reader."""
    found = remembered(office_of(ri.created_by))
    found.pop(RosterValueMapping.HEADER, None)
    return found


@dataclasses.dataclass
class SheetSurvey:
    sheet: str  # Sheet.MEMBERS | Sheet.EVENTS
    title: str  # the file's sheet name
    headers: list[str]  # as written, in order
    samples: dict[str, list[str]]  # header -> the first few values


def _is_header(cells) -> bool:
    """The header row: the first with two cells written (a title above it has one)."""
    return sum(1 for v in cells if text(v)) >= 2


def survey(data: bytes) -> list[SheetSurvey]:
    """The header row and a few values of each sheet we read (the first non-blank row within
    the first rows), without staging anything."""
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        members, events = _pick_sheets(wb.sheetnames)
        found = []
        for sheet, title in ((Sheet.MEMBERS, members), (Sheet.EVENTS, events)):
            if title is None:
                continue
            rows = wb[title].iter_rows(values_only=True, max_row=HEADER_SEARCH_ROWS + 3)
            headers: list[str] = []
            samples: dict[str, list[str]] = {}
            for cells in rows:
                if not headers:
                    if _is_header(cells):
                        headers = [text(v) for v in cells]
                        samples = {h: [] for h in headers if h}
                    continue
                for h, v in zip(headers, cells, strict=False):
                    if h and text(v) and len(samples[h]) < 3:
                        samples[h].append(text(v))
            if headers:
                found.append(SheetSurvey(sheet, title, headers, samples))
        return found
    finally:
        wb.close()


def is_template_shaped(surveys: list[SheetSurvey]) -> bool:
    """Whether the file's headers are the template's (then no mapping page)."""
    for s in surveys:
        _positions, missing, unknown = match_headers(s.sheet, s.headers)
        if missing or unknown:
            return False
    return bool(surveys)


def guess(surveys: list[SheetSurvey], office: Unit | None) -> dict[str, dict[str, str]]:
    """A first choice for each header: the template's own header, else what the office chose
    last time, else nothing."""
    headers = remembered(office).get(RosterValueMapping.HEADER, {})
    found: dict[str, dict[str, str]] = {}
    for s in surveys:
        ours = {fold(c.header): c.key for c in COLUMNS[s.sheet] if c.imported}
        found[s.sheet] = {
            h: ours.get(fold(h)) or headers.get(f"{s.sheet}:{fold(h)}", "") for h in s.headers if h
        }
    return found


def missing_required(sheet: str, chosen: dict[str, str]) -> list[str]:
    return [k for k in REQUIRED[sheet] if k not in chosen.values()]


def unknown_values(ri: RosterImport, office: Unit | None) -> dict[str, list[str]]:
    """column key -> the values of its cells that neither the reader nor the office's
    mappings understand (at most MAX_VALUES each), read from the whole file once."""
    known = remembered(office)
    wb = load_workbook(io.BytesIO(bytes(ri.content)), read_only=True, data_only=False)
    found: dict[str, list[str]] = {}
    try:
        members, events = _pick_sheets(wb.sheetnames)
        for sheet, title in ((Sheet.MEMBERS, members), (Sheet.EVENTS, events)):
            aliases = (ri.column_map or {}).get(sheet)
            if title is None or not aliases:
                continue
            coded = {c.key: c for c in COLUMNS[sheet] if c.kind == "code"}
            positions = None
            for cells in wb[title].iter_rows(values_only=True):
                if positions is None:
                    if _is_header(cells):
                        positions, _m, _u = match_headers(sheet, cells, aliases)
                        positions = {k: i for k, i in positions.items() if k in coded}
                    continue
                for key, index in positions.items():
                    raw = cells[index] if index < len(cells) else None
                    try:
                        parse_cell(coded[key], raw, known.get(key))
                    except ValueError:
                        values = found.setdefault(key, [])
                        if text(raw) not in values and len(values) < MAX_VALUES:
                            values.append(text(raw))
    finally:
        wb.close()
    return found


@transaction.atomic
def save_columns(*, ri: RosterImport, chosen: dict[str, dict[str, str]], office) -> None:
    """Keep the chosen columns on the import (folded header -> key) and for the office."""
    ri.column_map = {
        sheet: {fold(h): key for h, key in headers.items()} for sheet, headers in chosen.items()
    }
    ri.save(update_fields=["column_map"])
    for sheet, headers in chosen.items():
        for h, key in headers.items():
            if key:
                RosterValueMapping.objects.update_or_create(
                    office=office,
                    column=RosterValueMapping.HEADER,
                    written=f"{sheet}:{fold(h)}"[:200],
                    defaults={"value": key},
                )


@transaction.atomic
def save_values(*, chosen: dict[str, dict[str, str]], office) -> None:
    """Remember how the office writes coded values: column key -> {written: code}."""
    for key, values in chosen.items():
        for written, value in values.items():
            if value:
                RosterValueMapping.objects.update_or_create(
                    office=office,
                    column=key,
                    written=fold(written)[:200],
                    defaults={"value": value},
                )


__all__ = [
    "SHEET_TITLES",
    "codes_for",
    "guess",
    "is_template_shaped",
    "missing_required",
    "office_of",
    "save_columns",
    "save_values",
    "survey",
    "unknown_values",
]
