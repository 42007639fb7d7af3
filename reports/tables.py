"""The table model of every report: a report builds ``Table``s of ``Row``s of ``Cell``s, and
every format renders those same tables (the page and the PDF through
``reports.renderers.html``, Excel through ``reports.renderers.xlsx``). So a figure cannot
differ between the page, the PDF and the workbook: one place computes and labels it.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Iterator
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import get_language


@dataclasses.dataclass(frozen=True)
class RecordsLink:
    """Where the records behind a value are: a figure of a unit over a period."""

    unit_code: str
    figure: str
    start: datetime.date
    end: datetime.date
    directive: str  # a directive's code, or forms.ALL
    subset: str = ""  # of the admitted: one category (figures.ADMITTED_SUBSETS)

    def query(self) -> dict[str, str]:
        query = {
            "figure": self.figure,
            "from": self.start.strftime("%d/%m/%Y"),
            "to": self.end.strftime("%d/%m/%Y"),
            "directive": self.directive,
        }
        if self.subset:
            query["of"] = self.subset
        return query


@dataclasses.dataclass
class Cell:
    value: Any  # int, float, str or None ("—")
    kind: str = "int"  # "int", "decimal" (one decimal place), "text"
    link: RecordsLink | None = None
    url: str = ""  # set by the page's view from ``link``

    @property
    def display(self) -> str:
        return display(self.value, self.kind)


@dataclasses.dataclass
class Row:
    label: str
    cells: list[Cell]
    code: str = ""  # the form's row code (A, B, 1, 2…)
    level: int = 0  # 0 a main row, 1 "of whom", 2 deeper
    strong: bool = False
    unit_code: str = ""  # children tables: the child, whose own report the label links to
    url: str = ""  # set by the page's view from ``unit_code``


@dataclasses.dataclass(frozen=True)
class Column:
    label: str
    width: float = 13  # in Excel characters


@dataclasses.dataclass
class Table:
    key: str
    title: str
    label_header: str
    columns: list[Column]
    rows: list[Row]
    total: Row | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    with_codes: bool = False
    label_width: float = 46
    wide: bool = False  # many columns: smaller type in print

    def all_rows(self) -> Iterator[Row]:
        yield from self.rows
        if self.total is not None:
            yield self.total

    def cells(self) -> Iterator[Cell]:
        for row in self.all_rows():
            yield from row.cells


def display(value, kind: str = "int") -> str:
    """A value as the page and the PDF print it: 3.129, 112,5, "—" for no value."""
    if value is None:
        return "—"
    if kind == "text":
        return str(value)
    return _number(value, 1 if kind == "decimal" else None, get_language())


@functools.lru_cache(maxsize=4096, typed=True)  # 1 and 1.0 print differently
def _number(value: int | float, decimal_pos: int | None, language: str | None) -> str:
    """Django's number_format, kept per language: a report page prints hundreds of figures,
    most of them small numbers that repeat, and number_format reads the locale's formats each
    time."""
    return number_format(value, decimal_pos=decimal_pos, force_grouping=True)


def heading_row(label, columns: int, *, code: str = "") -> Row:
    """A row that only heads the rows under it (no values)."""
    return Row(str(label), [Cell("", "text") for _i in range(columns)], code=code, strong=True)


def percent(part: int | float | None, whole: int | float | None) -> float | None:
    """part / whole × 100, one decimal; None ("—") when the whole is 0."""
    if part is None or not whole:
        return None
    return round(part * 100 / whole, 1)
