"""Members, their membership events, and the periods they spent on a cell's roll.

One module per concern (``member``, ``event``, ``audit``, ``names``, ``roster``), all in the
one app ``members``: every model is importable from here, as ``from members.models import X``.

What is stored, and what is derived from what:

- ``Event`` is the record: one row per decision (admission, recognition, transfer, removal,
  death, exemption, restoration), never rewritten to mean something else.
- ``Membership`` (a member on a cell's roll from ``start_date`` until before ``end_date``) and
  the cached ``Member.status`` and ``Member.unit`` are derived from the events. They are
  written only by ``members.services``, in the same transaction as the event, through
  ``MemberState.after``, which is also what ``Member.derived_state()`` replays; tests check
  that the two never differ.
- ``Member.admitted_on`` / ``recognized_on`` are the record's "ngày vào Đảng" and "ngày chính
  thức": written by the admission and recognition services, typed for members who arrive from
  outside the system (their admission is not among our events).
"""

from .audit import BulkRead, RecordView
from .event import (
    ADMISSION_KINDS,
    CLOSING_KINDS,
    OPENING_KINDS,
    REMOVAL_KINDS,
    TRANSFER_KINDS,
    Event,
    EventKind,
    EventQuerySet,
    Membership,
    MembershipQuerySet,
    RemovalReason,
    TemporaryPurpose,
)
from .member import (
    ACTIVE_STATUSES,
    Directive,
    Member,
    MemberQuerySet,
    MemberState,
    Prefix,
    Status,
)
from .names import MemberName
from .party import CardKind, OfficeTransfer, PartyCard
from .roster import (
    ExportStatus,
    ImportStatus,
    RosterExport,
    RosterExportPart,
    RosterImport,
    RosterImportRow,
    RosterValueMapping,
)
from .submissions import FormSubmission
from .worker import WorkerHeartbeat

__all__ = [
    "ACTIVE_STATUSES",
    "ADMISSION_KINDS",
    "CLOSING_KINDS",
    "OPENING_KINDS",
    "REMOVAL_KINDS",
    "TRANSFER_KINDS",
    "BulkRead",
    "CardKind",
    "Directive",
    "Event",
    "EventKind",
    "EventQuerySet",
    "ExportStatus",
    "FormSubmission",
    "ImportStatus",
    "Member",
    "MemberName",
    "MemberQuerySet",
    "MemberState",
    "Membership",
    "MembershipQuerySet",
    "OfficeTransfer",
    "PartyCard",
    "Prefix",
    "RecordView",
    "RemovalReason",
    "RosterExport",
    "RosterExportPart",
    "RosterImport",
    "RosterImportRow",
    "RosterValueMapping",
    "Status",
    "TemporaryPurpose",
    "WorkerHeartbeat",
]
