"""Member pages: browsing (``browse``), data entry (``entry``, ``events``, both on ``steps``),
rosters in and out (``imports``)."""

from .browse import member_detail, member_list
from .corrections import event_cancel
from .entry import member_admit, member_edit, member_recognize, member_transfer_in, recognition_due
from .events import (
    member_death,
    member_exempt,
    member_readmit,
    member_remove,
    member_restore,
    member_transfer,
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
    roster_import_map,
    roster_import_recheck,
    roster_template,
)
from .party import (
    card_record,
    exemption_end,
    temporary_overdue,
    temporary_return,
    transfer_receive,
    transfer_send,
    transfers_pending,
)
from .reads import bulk_read_list
from .takeaway import member_list_print, member_list_xlsx

__all__ = [
    "bulk_read_list",
    "card_record",
    "event_cancel",
    "exemption_end",
    "member_admit",
    "member_death",
    "member_detail",
    "member_edit",
    "member_exempt",
    "member_list",
    "member_list_print",
    "member_list_xlsx",
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
    "roster_import_map",
    "roster_import_recheck",
    "roster_template",
    "temporary_overdue",
    "temporary_return",
    "transfer_receive",
    "transfer_send",
    "transfers_pending",
]
