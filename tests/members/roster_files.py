"""Small roster workbooks for the tests, written with openpyxl as a clerk's Excel would."""

from __future__ import annotations

from openpyxl import Workbook

from members import roster
from members.roster.columns import EVENT_COLUMNS, MEMBER_COLUMNS

MEMBER_HEADER = [c.header for c in MEMBER_COLUMNS if c.imported]
EVENT_HEADER = [c.header for c in EVENT_COLUMNS]
MEMBER_KEYS = [c.key for c in MEMBER_COLUMNS if c.imported]
EVENT_KEYS = [c.key for c in EVENT_COLUMNS]


def member(**values) -> list:
    """A valid members-sheet row (a new member of cell long-thanh-1), ``values`` overriding."""
    base = {
        "unit_code": "long-thanh-1",
        "full_name": "Trần Thị Mẫu",
        "gender": "Nữ",
        "date_of_birth": "17/05/1985",
        "citizen_id": "092185000001",
        "ethnicity": "Kinh",
        "religion": "Không",
        "admitted_on": "01/03/2015",
        "admission_no": "12-QĐ/ĐU",
    }
    base.update(values)
    return [base.get(key) for key in MEMBER_KEYS]


def event(**values) -> list:
    """An events-sheet row, for the member with citizen ID 092185000001 unless overridden."""
    base = {"citizen_id": "092185000001"}
    base.update(values)
    return [base.get(key) for key in EVENT_KEYS]


def book(
    path,
    members=(),
    events=None,
    *,
    header=None,
    event_header=None,
    title=roster.MEMBERS_SHEET,
):
    """Write a workbook: the members sheet (``header=[]`` for none), and an events sheet when
    ``events`` is given."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    header = MEMBER_HEADER if header is None else header
    if header:
        ws.append(header)
    for values in members:
        ws.append(values)
    if events is not None:
        es = wb.create_sheet(roster.EVENTS_SHEET)
        es.append(EVENT_HEADER if event_header is None else event_header)
        for values in events:
            es.append(values)
    wb.save(path)
    return path
