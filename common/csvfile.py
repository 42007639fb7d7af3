"""CSV beside Excel (issue 30): one writer for every list the app offers as CSV.

A spreadsheet opening a CSV reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula; such text is written with a leading apostrophe, which the
spreadsheet shows as text (the workbooks store the same values as text). The file starts with a
UTF-8 byte-order mark, so Excel reads the Vietnamese as UTF-8.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence

from .xlsx import FORMULA_STARTS

CSV_TYPE = "text/csv; charset=utf-8"


def csv_text(value) -> str:
    """One cell as text: dates dd/mm/yyyy, None empty, formula-like text quoted."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
