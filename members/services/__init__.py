"""The one writer of membership events, and of the record's corrections.

Each event kind has one public function here. It checks the kind's rules (refusing with a
Vietnamese ``ValidationError`` keyed by the field at fault), writes the event, opens or closes
the member's period on a cell's roll and updates the member's cached state, all in one
transaction, with the member's row locked so two clerks cannot interleave.

One module per domain (``admission``, ``probation``, ``transfers``, ``removals``, ``record``,
``periods``, ``cards``;
``_checks`` for what they share), every service used from here: ``services.member_admit``.
"""

from ._checks import Decision
from .admission import member_admit, member_readmit
from .cards import member_card_record
from .corrections import event_cancel, event_correct
from .periods import (
    member_exempt,
    member_exemption_end,
    member_temporary_return,
    member_temporary_transfer,
)
from .probation import member_recognize, probation_ends, recognition_deadlines
from .record import member_record_save
from .removals import member_record_death, member_remove, member_restore
from .transfers import (
    member_transfer,
    member_transfer_in,
    member_transfer_out,
    member_transfer_receive,
    member_transfer_send,
)

__all__ = [
    "Decision",
    "event_cancel",
    "event_correct",
    "member_admit",
    "member_card_record",
    "member_exempt",
    "member_exemption_end",
    "member_readmit",
    "member_recognize",
    "member_record_death",
    "member_record_save",
    "member_remove",
    "member_restore",
    "member_temporary_return",
    "member_temporary_transfer",
    "member_transfer",
    "member_transfer_in",
    "member_transfer_out",
    "member_transfer_receive",
    "member_transfer_send",
    "probation_ends",
    "recognition_deadlines",
]
