"""Member pages: browsing (``browse``) and data entry (``entry``)."""

from .browse import home, member_detail, member_list
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

__all__ = [
    "home",
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
]
