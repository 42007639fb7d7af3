"""Rosters as Excel workbooks, in and out: the boards keep their rolls in Excel.

- ``columns``: the workbook's shape (two sheets, "Đảng viên" and "Sự kiện") and how a cell
  is read;
- ``workbook``: the empty template and the export in the same shape;
- ``importing``: stage an uploaded file, check it (nothing written), commit it (all or nothing):
  the workflow, over ``reading`` (the workbook into staged rows), ``planning`` (each row
  matched and checked) and ``applying`` (each member's history through the services), which
  share a pass's state, ``context.Run``;
- ``exporting``: a unit's export, within the request or (a large unit) in the background.

The staff's upload pages (``members.views.imports``), the background tasks
(``members.tasks``) and the commands (``import_roster``, ``export_roster``) all go through
the functions named here.
"""

from .columns import EVENT_COLUMNS, EVENTS_SHEET, GUIDE_SHEET, MEMBER_COLUMNS, MEMBERS_SHEET
from .exporting import (
    build_export,
    export_file_name,
    export_members,
    export_parts,
    exports_interrupted,
    fits_a_workbook,
    fits_inline,
    is_export_interrupted,
    request_export,
    write_export,
)
from .importing import (
    MAX_BYTES,
    MAX_ROWS,
    RosterError,
    check,
    commit,
    create_import,
    decide_duplicates,
    error_messages,
    import_file,
    interrupted,
    is_interrupted,
    stage,
    summarize,
)
from .workbook import export_roster, roster_rows, template_workbook

__all__ = [
    "EVENTS_SHEET",
    "EVENT_COLUMNS",
    "GUIDE_SHEET",
    "MAX_BYTES",
    "MAX_ROWS",
    "MEMBERS_SHEET",
    "MEMBER_COLUMNS",
    "RosterError",
    "build_export",
    "check",
    "commit",
    "create_import",
    "decide_duplicates",
    "error_messages",
    "export_file_name",
    "export_members",
    "export_parts",
    "export_roster",
    "exports_interrupted",
    "fits_a_workbook",
    "fits_inline",
    "import_file",
    "interrupted",
    "is_export_interrupted",
    "is_interrupted",
    "request_export",
    "roster_rows",
    "stage",
    "summarize",
    "template_workbook",
    "write_export",
]
