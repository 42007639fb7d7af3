"""The one cell writer of every workbook the app writes (openpyxl, write-only sheets).

A spreadsheet reads text that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
a carriage return) as a formula: a member named ``=HYPERLINK(...)`` would become a live link
in the clerk's Excel. ``text_cell`` stores every string as a string (an inline string, type
``s``: never a formula), and marks those that start with a formula character with Excel's
quote prefix, so that editing the cell keeps it text. The roster export, the report
workbooks and the export command all write their cells through it.
"""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell

# Characters that make a spreadsheet read text as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value) -> WriteOnlyCell:
    """A write-only cell holding ``value``; a string is always stored as text."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell
