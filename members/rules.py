"""The Party's rules on membership that the records obey, each in one place.

Constants and pure functions only (no queries): the services check with them, the selectors
and pages compute deadlines with them, the generators draw histories with them. Each rule
names its source in ``../shared/RULES.md``; ``docs/rules.md`` indexes rule → function → test.
"""

from __future__ import annotations

import dataclasses
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


# D The structure of a citizen ID (CCCD, Circular 59/2021/TT-BCA art. 7): 12 digits, the
# birth province's code (3 digits, the list is data: members/data/cccd_province_codes.txt), the
# century-gender digit (0/1 born 1900-1999 male/female, 2/3 born 2000-2099; later centuries
# cannot be party members yet), the year of birth's last 2 digits, 6 random digits.
def _province_codes() -> frozenset[str]:
    from pathlib import Path

    path = Path(__file__).parent / "data" / "cccd_province_codes.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line[:3] for line in lines if line[:1].isdigit())


CITIZEN_ID_PROVINCE_CODES = _province_codes()
CITIZEN_ID_CENTURY_GENDER_DIGITS = "0123"


def citizen_id_problem(citizen_id: str) -> str | None:
    """What is wrong with the structure of ``citizen_id`` (a Vietnamese message), or None."""
    from django.utils.translation import gettext as _

    if len(citizen_id) != 12 or not citizen_id.isascii() or not citizen_id.isdigit():
        return _("Số CCCD gồm đúng 12 chữ số.")
    if citizen_id[:3] not in CITIZEN_ID_PROVINCE_CODES:
        return _("Số CCCD không hợp lệ: 3 chữ số đầu “%(code)s” không phải mã tỉnh.") % {
            "code": citizen_id[:3]
        }
    if citizen_id[3] not in CITIZEN_ID_CENTURY_GENDER_DIGITS:
        return _("Số CCCD không hợp lệ: chữ số thứ 4 (thế kỷ và giới tính) phải là 0, 1, 2 hoặc 3.")
    return None


# --- R8: recognition ---------------------------------------------------------------------------


def recognition_committee_deadline(resolution: datetime.date) -> datetime.date:
    """The last day for the committee to decide recognition: 30 working days after the
    cell's resolution (QĐ 24 §4.3.1)."""
    return add_working_days(resolution, RECOGNITION_WORKING_DAYS)


# --- R10-R14: removals and re-admission ---------------------------------------------------------

# Which reasons each kind of removal takes (values of ``Event.Reason``): striking off on R12's
# grounds (and a probationer who does not qualify, R10; a member found unfit by a screening
# under 28-CT/TW, HD 02); discharge only on the member's own application (R13); expulsion on
# disciplinary grounds, a criminal conviction or serious disunity. "other" is no ground: kept
# for the records written before issue 24, refused for new removals.
REMOVAL_REASONS = {
    "struck_off": (
        "quit_activities",
        "unpaid_dues",
        "card_returned",
        "no_improvement",
        "repeated_violation",
        "political_standards",
        "probation_failed",
        "screening",
    ),
    "discharged": ("on_request", "on_request_hardship"),
    "expelled": (
        "discipline",
        "disunity",
        "corruption_conviction",
        "serious_crime_conviction",
        "crime_conviction",
    ),
}

# R14 (QĐ 294 §3.5.2): never re-admitted after leaving for these reasons. Asking to leave
# because of exceptional family hardship is the one exception ("on_request_hardship").
NEVER_READMITTED = (
    "quit_activities",
    "on_request",
    "disunity",
    "corruption_conviction",
    "serious_crime_conviction",
)

# R14: 60 months after the criminal record is cleared, for a less serious crime.
READMISSION_AFTER_RECORD_CLEARED_MONTHS = 60
CRIME_REASONS = ("crime_conviction",)


def removal_reasons(kind: str) -> tuple[str, ...]:
    """The reasons a removal of ``kind`` may give (empty for a kind that is no removal)."""
    return REMOVAL_REASONS.get(kind, ())


@dataclasses.dataclass
class Readmission:
    """Whether and from when a former member may be re-admitted (R14): ``never`` says why
    not; else ``earliest`` is the first day (``None`` while a criminal record is not cleared)."""

    earliest: datetime.date | None = None
    never: str = ""  # "reason", "once": why never
    needs_record_cleared: bool = False


def readmission_eligibility(
    *,
    reason: str,
    left_on: datetime.date,
    readmitted_before: bool,
    record_cleared_on: datetime.date | None = None,
) -> Readmission:
    """R14 from the last removal's reason and day: once only; never for the reasons of
    ``NEVER_READMITTED``; 36 months after leaving, and for a less serious crime 60 months
    after the record was cleared (whichever is later)."""
    if readmitted_before:
        return Readmission(never="once")
    if reason in NEVER_READMITTED:
        return Readmission(never="reason")
    earliest = readmission_earliest(left_on)
    if reason in CRIME_REASONS:
        if record_cleared_on is None:
            return Readmission(needs_record_cleared=True)
        earliest = max(
            earliest, add_months(record_cleared_on, READMISSION_AFTER_RECORD_CLEARED_MONTHS)
        )
    return Readmission(earliest=earliest)


# --- R15: party age ----------------------------------------------------------------------------

DAYS_PER_YEAR = 365.25
# Event kinds that end time out of the Party, and those that begin it.
PARTY_AGE_BACK = frozenset({"admission", "readmission", "transfer_in"})
PARTY_AGE_OUT = frozenset({"struck_off", "discharged", "expelled", "transfer_out", "death"})


@dataclasses.dataclass(frozen=True)
class PartyAge:
    """A member's party age on a day: ``days`` in the Party, from ``since`` (the first
    admission decision), the time out of it taken away."""

    since: datetime.date
    days: int

    @property
    def years(self) -> float:
        return self.days / DAYS_PER_YEAR


def party_age(
    events: Sequence[Event], on: datetime.date, *, admitted_on: datetime.date | None = None
) -> PartyAge | None:
    """R15 (QĐ 24 §4.5): party age on ``on`` from the member's ``events`` (in date order).

    It runs from the FIRST admission decision (``admitted_on`` for a member whose admission is
    in another system's records and who arrived by transfer), minus every period out of the
    Party: from a removal to the re-admission, from a transfer out to the arrival (the gap of
    an official transfer), and after death or a removal not followed by a return. A member
    restored after a wrongful removal (phục hồi đảng tịch) keeps a continuous party age: the
    removal that restoration undoes is no gap. ``None`` before any admission."""
    since = None
    out_from: datetime.date | None = None  # the day the current time out began
    out_days = 0
    for event in events:
        day = event.effective_date
        if day > on:
            break
        kind = str(event.kind)
        if since is None and kind in PARTY_AGE_BACK | PARTY_AGE_OUT | {"restoration"}:
            since = day if kind in ("admission", "readmission") else (admitted_on or day)
        if kind in PARTY_AGE_BACK:
            if out_from is not None:
                out_days += (day - out_from).days
            out_from = None
        elif kind == "restoration":
            out_from = None  # the wrongful removal it undoes was never time out
        elif kind in PARTY_AGE_OUT and out_from is None:
            out_from = day
    if since is None:
        return None
    if out_from is not None:
        out_days += (on - out_from).days
    return PartyAge(since=since, days=max(0, (on - since).days - out_days))


# --- issue 24, items 5 and 6 (R16, R17, R18) ----------------------------------------------------

# R16 (QĐ 24 §7.1): a member may be exempted from work and activities when old (men over 60,
# women over 55) and in poor health, and asking for it. RULES.md cites a primary text and does
# not mark the ages secondary; they are here, one place, as the rule's numbers.
EXEMPTION_MIN_AGE = {"male": 60, "female": 55}

# R17 (QĐ 24 §6.3.2): a temporary transfer lasts 3 months to under 12 (work, residence), or 3
# to 24 months (study).
TEMPORARY_MIN_MONTHS = 3
TEMPORARY_MAX_MONTHS = {"work": 12, "study": 24}

# R18 (QĐ 29 §6.3): the member presents the introduction within 30 working days.
TRANSFER_ARRIVAL_WORKING_DAYS = 30


def exemption_age_reached(gender: str, age: int) -> bool:
    """R16: "men over 60, women over 55": past the 60th (55th) birthday, that is, an age in
    full years of at least 60 (55)."""
    minimum = EXEMPTION_MIN_AGE.get(gender)
    return minimum is not None and age >= minimum


def exemption_earliest(gender: str, born: datetime.date) -> datetime.date:
    """R16: the first day a member of ``gender`` born on ``born`` is old enough."""
    return add_months(born, 12 * EXEMPTION_MIN_AGE[gender])


def temporary_term_bounds(
    start: datetime.date, purpose: str
) -> tuple[datetime.date, datetime.date, bool]:
    """R17: the earliest and latest last day of a temporary transfer from ``start``, and
    whether the latest is itself allowed (study: up to 24 months; work: under 12)."""
    earliest = add_months(start, TEMPORARY_MIN_MONTHS)
    latest = add_months(start, TEMPORARY_MAX_MONTHS[purpose])
    return earliest, latest, purpose == "study"


def arrival_deadline(sent_on: datetime.date) -> datetime.date:
    """R18: the last day the receiving office may record the arrival."""
    return add_working_days(sent_on, TRANSFER_ARRIVAL_WORKING_DAYS)


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
