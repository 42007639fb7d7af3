"""Member pages: browsing (``browse``), data entry (``entry``), rosters in and out (``imports``)."""

from .browse import member_detail, member_list
from .corrections import event_cancel
from .entry import (
    member_admit,
    member_death,
    member_edit,
    member_exempt,
    member_readmit,
    member_recognize,
    member_remove,
    member_restore,
    member_transfer,
    member_transfer_in,
    recognition_due,
)
from .imports import (
    roster_export,
    roster_export_detail,
    roster_export_file,
    roster_export_request,
    roster_import_confirm,
    roster_import_decide,
    roster_import_detail,
    roster_import_discard,
    roster_import_list,
    roster_import_recheck,
    roster_template,
)

__all__ = [
    "event_cancel",
    "member_admit",
    "member_death",
    "member_detail",
    "member_edit",
    "member_exempt",
    "member_list",
    "member_readmit",
    "member_recognize",
    "member_remove",
    "member_restore",
    "member_transfer",
    "member_transfer_in",
    "recognition_due",
    "roster_export",
    "roster_export_detail",
    "roster_export_file",
    "roster_export_request",
    "roster_import_confirm",
    "roster_import_decide",
    "roster_import_detail",
    "roster_import_discard",
    "roster_import_list",
    "roster_import_recheck",
    "roster_template",
]
