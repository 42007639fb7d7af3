"""The Party's rules on membership that the records obey, each in one place.

Constants and pure functions only (no queries): the services check with them, the selectors
and pages compute deadlines with them, the generators draw histories with them. Each rule
names its source in ``../shared/RULES.md``; ``docs/rules.md`` indexes rule → function → test.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from common.dates import add_months, add_working_days

if TYPE_CHECKING:
    from .models import Event

# The Party was founded on 03/02/1930: no record of it is older, and a year before it is a typo.
PARTY_FOUNDED_YEAR = 1930

# R1 (QĐ 24 §1.1, kept by QĐ 232 and QĐ 294): an applicant is from full 18 to full 60; over 60
# only by the province's decision.
MIN_ADMISSION_AGE = 18
MAX_ADMISSION_AGE = 60

# R7 (Charter art. 5): probation lasts 12 months from the admission ceremony.
PROBATION_MONTHS = 12

# R8 (QĐ 24 §4.2.1): the cell and the committee decide recognition within 30 working days of
# the end of probation.
RECOGNITION_WORKING_DAYS = 30

# R14 (QĐ 24/232/294 §3.5): re-admission no earlier than 36 months after leaving the Party.
READMISSION_WAIT_MONTHS = 36

# The fields of form 2-HSĐV (HD 11-HD/BTCTW), in the form's order: the record's page, its
# edit form and the audit of its changes all list them in this order.
RECORD_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "place_of_birth",
    "hometown",
    "residence",
    "ethnicity",
    "religion",
    "occupation",
    "occupation_group",
    "general_education",
    "professional_level",
    "academic_title",
    "political_theory",
    "citizen_id",
    "party_card_no",
    "personal_history_no",
    "youth_union_member",
    "private_business_owner",
    "married_to_foreigner",
)


def probation_start(
    admissions: Sequence[Event], admitted_on: datetime.date | None
) -> datetime.date | None:
    """The day probation starts: the ceremony of the latest (re-)admission among
    ``admissions`` (in date order), else ``admitted_on`` (a member who arrived on probation,
    whose admission is in another system's records)."""
    return admissions[-1].ceremony_date if admissions else admitted_on


def probation_end(start: datetime.date | None) -> datetime.date | None:
    """The first day a probationary member may be recognized: 12 months after the start."""
    return add_months(start, PROBATION_MONTHS) if start else None


def latest_probation_start(end_by: datetime.date) -> datetime.date:
    """A bound on the start of every probation that ends by ``end_by``, for a query to filter
    on before ``probation_end`` decides exactly: ``add_months`` clamps 29-31 of a month to the
    month's end, so a start up to three days later can still end by ``end_by``."""
    return add_months(end_by, -PROBATION_MONTHS) + datetime.timedelta(days=3)


def recognition_deadline(end: datetime.date) -> datetime.date:
    """The last day to decide recognition: 30 working days after probation ends."""
    return add_working_days(end, RECOGNITION_WORKING_DAYS)


def readmission_earliest(left_on: datetime.date) -> datetime.date:
    """The first day a former member may be re-admitted."""
    return add_months(left_on, READMISSION_WAIT_MONTHS)


# R-order (Charter art. 1-10; see docs/rules.md): which event may follow which status, the
# rule a replayed history (after a correction or cancellation) must keep. ``None``: no event yet.
_ACTIVE = ("probationary", "official")
EVENT_MAY_FOLLOW: dict[str, tuple[str | None, ...]] = {
    "admission": (None,),
    "readmission": ("removed",),
    "recognition": ("probationary",),
    "transfer_in": (None, "transferred_out"),
    "transfer_out": _ACTIVE,
    "temporary_transfer": _ACTIVE,
    "struck_off": _ACTIVE,
    "discharged": _ACTIVE,
    "expelled": ("official",),
    "death": _ACTIVE,
    "exemption": _ACTIVE,
    "restoration": ("removed",),
}


def may_follow(status: str | None, kind: str) -> bool:
    """An event of ``kind`` may be recorded for a member whose status is ``status``."""
    return status in EVENT_MAY_FOLLOW[kind]
