"""Excel workbooks of the reports (openpyxl, write-only: rows are streamed to disk as they are
written, so a sheet of many thousands of records keeps memory bounded).

Numbers are stored as numbers ("#,##0"; percentages "0.0"), dates as dates ("DD/MM/YYYY"). Text
is always stored as text: a name such as "=1+1" is written as an inline string, never a formula,
and marked with Excel's quote prefix so that editing the cell keeps it text.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from common.xlsx import text_cell

from ..official_forms import OfficialForm
from ..records import EVENT_COLUMNS, RECORD_SHEETS, RecordRow, event_records, record_events
from ..tables import Column, Table, display
from ..unit_report import UnitReport

INT_FORMAT = "#,##0"
DECIMAL_FORMAT = "0.0"
DATE_FORMAT = "DD/MM/YYYY"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
HEAD_FILL = PatternFill("solid", fgColor="F5F2EA")
WRAP = Alignment(wrap_text=True, vertical="top")
RED = Font(bold=True, color="A50E0E")
# A list of records in the report's workbook stops after this many rows, with a note: a whole
# country's lists would take longer to write than a request may run (and Excel holds 1,048,576
# rows a sheet). The records page of each figure lists them all, a page at a time.
SHEET_RECORDS_MAX = 50_000


class WorkbookWriter:
    def __init__(self):
        self.workbook = Workbook(write_only=True)

    # --- cells ---

    def cell(self, sheet, value, *, kind: str = "int", font=None, indent: int = 0, fill=None):
        if value is None:
            value = "—"
        if isinstance(value, datetime.datetime):
            value = value.date()
        cell = text_cell(sheet, value)  # a string is always text, never a formula
        if isinstance(value, datetime.date):
            cell.number_format = DATE_FORMAT
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int | float):
            cell.number_format = DECIMAL_FORMAT if kind == "decimal" else INT_FORMAT
        if font is not None:
            cell.font = font
        if indent:
            cell.alignment = Alignment(indent=indent)
        if fill is not None:
            cell.fill = fill
        return cell

    def sheet(self, title: str, widths: Iterable[float], freeze: str | None = None):
        sheet = self.workbook.create_sheet(title=_sheet_title(title))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        if freeze:
            sheet.freeze_panes = freeze
        return sheet

    # --- sheets ---

    def document_sheet(self, title: str, heading: list[str], tables: list[Table], extra=()):
        """A sheet laid out like the page: the heading lines, then each table with its title,
        head row, rows, total and notes. ``extra``: (text, ok) lines after the tables."""
        widths = [6, max((t.label_width for t in tables), default=40)]
        widths += [
            max((t.columns[i].width for t in tables if i < len(t.columns)), default=12)
            for i in range(max((len(t.columns) for t in tables), default=0))
        ]
        sheet = self.sheet(title, widths)
        for index, line in enumerate(heading):
            sheet.append([None, self.cell(sheet, line, font=TITLE if index == 0 else BOLD)])
        for table in tables:
            sheet.append([])
            if table.title:
                sheet.append([None, self.cell(sheet, table.title, font=BOLD)])
            sheet.append(
                [
                    self.cell(
                        sheet, "" if not table.with_codes else "TT", font=BOLD, fill=HEAD_FILL
                    ),
                    self.cell(sheet, table.label_header, font=BOLD, fill=HEAD_FILL),
                    *(
                        self.cell(sheet, str(c.label), font=BOLD, fill=HEAD_FILL)
                        for c in table.columns
                    ),
                ]
            )
            for row in table.all_rows():
                font = BOLD if row.strong else None
                sheet.append(
                    [
                        self.cell(sheet, row.code, font=font) if row.code else None,
                        self.cell(sheet, row.label, font=font, indent=row.level),
                        *(
                            None
                            if c.kind == "text" and c.value == ""
                            else self.cell(sheet, c.value, kind=c.kind, font=font)
                            for c in row.cells
                        ),
                    ]
                )
            for note in table.notes:
                sheet.append([None, self.cell(sheet, note)])
        for text, ok in extra:
            sheet.append([])
            sheet.append([None, self.cell(sheet, text, font=BOLD if ok else RED)])
        return sheet

    def records_sheet(
        self,
        title: str,
        columns: Iterable[Column],
        rows: Iterable[RecordRow],
        *,
        limit: int | None = None,
    ):
        """One row per record under a frozen head row; with ``limit``, at most that many, and
        then, if ``rows`` has more, a note that says so."""
        columns = list(columns)
        sheet = self.sheet(title, [c.width for c in columns], freeze="A2")
        sheet.append([self.cell(sheet, str(c.label), font=BOLD, fill=HEAD_FILL) for c in columns])
        for count, row in enumerate(rows):
            if count == limit:
                note = _(
                    "Danh sách chỉ ghi %(count)s bản ghi đầu tiên (theo ngày hiệu lực). Xem "
                    "đầy đủ trên trang danh sách bản ghi của số liệu này, hoặc xuất báo cáo "
                    "của từng đơn vị trực thuộc."
                ) % {"count": display(limit)}
                sheet.append([None, self.cell(sheet, note, font=RED)])
                break
            sheet.append([self.cell(sheet, value) for value in row.values])
        return sheet

    def save(self) -> bytes:
        out = io.BytesIO()
        self.workbook.save(out)
        return out.getvalue()


def _sheet_title(title: str) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\."""
    for char in "[]:*?/\\":
        title = title.replace(char, "-")
    return title[:31]


def unit_report_xlsx(report: UnitReport) -> bytes:
    """The report's workbook: a summary sheet laid out like the page, then one sheet per list
    of records (the events behind each figure of the first column)."""
    writer = WorkbookWriter()
    heading = [
        report.title,
        report.unit.name,
        report.subtitle,
    ]
    balance = report.balance
    writer.document_sheet(
        _sheet_title(str(_("Báo cáo"))),
        heading,
        report.tables(),
        extra=[(balance.text, balance.ok)],
    )
    for figure, title in RECORD_SHEETS:
        events = record_events(report.unit, report.start, report.end, report.directive, figure)[
            : SHEET_RECORDS_MAX + 1
        ]  # one more, to know whether the list goes on
        writer.records_sheet(
            str(title),
            EVENT_COLUMNS,
            event_records(events.iterator(2000)),
            limit=SHEET_RECORDS_MAX,
        )
    return writer.save()


def official_form_xlsx(form: OfficialForm) -> bytes:
    writer = WorkbookWriter()
    heading = [form.title, form.unit.name, form.subtitle, form.form_label]
    writer.document_sheet(form.form_label, heading, [form.table])
    return writer.save()
