"""The one way this app writes text into a workbook cell: as text, never as a formula.

A value that starts with = + - @ (or a tab or carriage return, which some spreadsheets strip
before reading the rest as a formula) is stored as an inline string with Excel's quote
prefix, so that a name or note typed by anyone opens as the same text (OWASP's "CSV
injection"; issue 30 item 2).
"""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value: str) -> WriteOnlyCell:
    """A write-only cell holding ``value`` as text whatever it starts with."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell
