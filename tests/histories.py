"""Random membership histories for property tests: hypothesis strategies and their interpreter.

An operation is drawn as plain data (a tuple), then applied through ``members.services``;
refusals (ValidationError) are part of the game and leave nothing behind.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.core.exceptions import ValidationError
from hypothesis import strategies as st

from branches.models import Unit
from common.dates import add_months
from members.models import ACTIVE_STATUSES, Directive, Event, Member, Status
from members.rules import exemption_earliest, removal_reasons
from members.services import (
    event_cancel,
    event_correct,
    member_admit,
    member_exempt,
    member_readmit,
    member_recognize,
    member_record_death,
    member_remove,
    member_restore,
    member_temporary_transfer,
    member_transfer,
    member_transfer_in,
    member_transfer_out,
    probation_ends,
)
from tests.conftest import make_decision, new_person

K = Event.Kind
R = Event.Reason

OPERATIONS = (
    "admit",
    "arrive",  # a new record transferred in from outside
    "recognize",
    "transfer",
    "transfer_out",
    "transfer_back_in",
    "temporary_transfer",
    "remove",
    "death",
    "exempt",
    "restore",
    "readmit",
)
REMOVALS = (K.STRUCK_OFF, K.DISCHARGED, K.EXPELLED)
REASONS = (R.UNPAID_DUES, R.SCREENING, R.QUIT_ACTIVITIES, R.ON_REQUEST, R.DISCIPLINE)

# Drawn with these weights: the chains that need several steps (remove → restore or readmit,
# transfer out → back in) are drawn more often than the events that end a member's story.
WEIGHTS = {"remove": 2, "restore": 2, "readmit": 2, "transfer_back_in": 2}
DRAWN = tuple(name for name in OPERATIONS for _ in range(WEIGHTS.get(name, 1)))

# The statuses each operation suits (active members by default).
WANTED = {
    "recognize": (Status.PROBATIONARY,),
    "transfer_back_in": (Status.TRANSFERRED_OUT,),
    "restore": (Status.REMOVED,),
    "readmit": (Status.REMOVED,),
}

# (operation, member slot, unit slot, days after the previous operation, variant)
Operation = tuple[str, int, int, int, int]


def operations(n_units: int, max_size: int = 20) -> st.SearchStrategy[list[Operation]]:
    # Mostly forward in time, sometimes far enough for probation (12 months) and re-admission
    # (36 months), sometimes backwards (refused: before the member's last event).
    days = st.one_of(
        st.integers(0, 120), st.integers(300, 1200), st.integers(0, 60), st.integers(-60, -1)
    )
    operation = st.tuples(
        st.sampled_from(DRAWN),
        st.integers(0, 5),
        st.integers(0, n_units - 1),
        days,
        st.integers(0, 29),
    )
    return st.lists(operation, min_size=8, max_size=max_size)


# (member slot, event slot, variant): cancel (even variant) or correct (odd) one event.
Correction = tuple[int, int, int]


def corrections(max_size: int = 6) -> st.SearchStrategy[list[Correction]]:
    return st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 9), st.integers(0, 29)), max_size=max_size
    )


@dataclasses.dataclass
class History:
    units: list[Unit]
    day: datetime.date
    directive: Directive | None = None
    members: list[Member] = dataclasses.field(default_factory=list)
    applied: list[str] = dataclasses.field(default_factory=list)

    def seed(self, *units: Unit) -> None:
        """Admit one person to each of ``units`` on the first day: the cast to act on."""
        for i, unit in enumerate(units):
            self._admit(unit, make_decision(self.day), variant=i)
            self.applied.append("admit")

    def apply(self, operations: list[Operation]) -> None:
        for operation in operations:
            self.apply_one(operation)

    def apply_one(self, operation: Operation) -> None:
        name, slot, unit_slot, days, variant = operation
        self.day += datetime.timedelta(days=days)
        # Units are re-read so that dissolutions and moves made since are seen.
        unit = Unit.objects.get(pk=self.units[unit_slot].pk)
        directive = self.directive if variant % 2 else None
        decision = make_decision(self.day, directive=directive)
        member = self._pick(name, slot, variant)
        try:
            if name == "admit":
                self._admit(unit, decision, variant)
            elif name == "arrive":
                self._arrive(unit, decision, variant)
            elif member is None:
                return
            else:
                member.refresh_from_db()
                self._event(name, member, unit, decision, variant)
        except ValidationError:
            return
        self.applied.append(name)

    def put_right(self, picks: list[Correction]) -> None:
        """Cancel or correct events drawn by ``picks``; refusals leave nothing behind."""
        for slot, event_slot, variant in picks:
            if not self.members:
                return
            member = self.members[slot % len(self.members)]
            events = list(member.events.standing().order_by("effective_date", "pk"))
            event = events[event_slot % len(events)]
            try:
                if variant % 2 == 0:
                    event_cancel(event=event, reason="Ghi nhầm")
                    self.applied.append("cancel")
                else:
                    changes = {"notes": f"sửa {variant}", "decision_no": f"{variant}-QĐ/ĐU"}
                    if event.kind not in Event.ADMISSION_KINDS:
                        shift = datetime.timedelta(days=variant % 5 - 2)
                        changes["effective_date"] = event.effective_date + shift
                        if event.decision_date is not None:
                            changes["decision_date"] = min(
                                event.decision_date, changes["effective_date"]
                            )
                    event_correct(event=event, reason="Sai ngày", changes=changes)
                    self.applied.append("correct")
            except ValidationError:
                continue

    def _pick(self, name: str, slot: int, variant: int) -> Member | None:
        """Two times in three, a member the operation suits (a removed one to restore...)."""
        if not self.members:
            return None
        wanted = WANTED.get(name, ACTIVE_STATUSES)
        statuses = dict(
            Member.objects.filter(pk__in=[m.pk for m in self.members]).values_list("pk", "status")
        )
        suited = [m for m in self.members if statuses[m.pk] in wanted]
        pool = suited if suited and variant % 3 else self.members
        return pool[slot % len(pool)]

    def _admit(self, unit, decision, variant) -> None:
        person = new_person(born=datetime.date(1975 + variant, 1 + variant % 12, 1 + variant))
        member_admit(
            member=person,
            unit=unit,
            decision=decision,
            ceremony_date=self.day + datetime.timedelta(days=variant % 5),
        )
        self.members.append(person)

    def _arrive(self, unit, decision, variant) -> None:
        probationary = variant % 3 == 0
        person = new_person(
            admitted_on=self.day - datetime.timedelta(days=400),
            recognized_on=None if probationary else self.day - datetime.timedelta(days=30),
        )
        member_transfer_in(
            member=person,
            unit=unit,
            origin="Đảng bộ huyện Vĩnh Thạnh",
            effective_date=self.day,
            decision=decision,
            probationary=probationary,
        )
        self.members.append(person)

    def _wait_until(self, day: datetime.date | None, variant: int) -> None:
        """Two times in three, move the clock on to ``day`` (when a rule says to wait)."""
        if day is not None and variant % 3 and day > self.day:
            self.day = day

    def _event(self, name, member, unit, decision, variant) -> None:
        if name == "recognize":
            self._wait_until(probation_ends(member), variant)
        elif name == "readmit":
            removal = member.events.filter(kind__in=Event.REMOVAL_KINDS).last()
            if removal is not None:
                self._wait_until(add_months(removal.effective_date, 36), variant)
        elif name == "exempt":  # R16: old enough (the member's health and request: given)
            self._wait_until(exemption_earliest(member.gender, member.date_of_birth), variant)
        day = self.day
        decision = make_decision(day, directive=decision.directive)
        if name == "recognize":
            end = probation_ends(member)
            member_recognize(member=member, effective_date=end or day, decision=decision)
        elif name == "transfer":
            member_transfer(member=member, to_unit=unit, effective_date=day, decision=decision)
        elif name == "transfer_out":
            member_transfer_out(
                member=member,
                destination="Tỉnh ủy Hậu Giang",
                effective_date=day,
                decision=decision,
            )
        elif name == "transfer_back_in":
            # Usually the member's true standing; sometimes the wrong one (refused).
            probationary = (member.recognized_on is None) != (variant % 7 == 0)
            member_transfer_in(
                member=member,
                unit=unit,
                origin="Tỉnh ủy Hậu Giang",
                effective_date=day,
                decision=decision,
                probationary=probationary,
            )
        elif name == "temporary_transfer":
            member_temporary_transfer(
                member=member,
                to_unit=unit if variant % 2 else None,
                destination="" if variant % 2 else "Đảng bộ xã Tân Lộc",
                effective_date=day,
                decision=decision,
            )
        elif name == "remove":
            kind = REMOVALS[variant % 3]
            reason = R.DISCIPLINE if kind == K.EXPELLED and variant % 4 else REASONS[variant % 5]
            if reason not in removal_reasons(kind) and variant % 2:
                reason = removal_reasons(kind)[0]  # mostly a reason of the kind (R10-R13)
            member_remove(
                member=member,
                kind=kind,
                reason=reason,
                effective_date=day,
                decision=decision,
                standards_kept=bool(variant % 3),
            )
        elif name == "death":
            member_record_death(member=member, effective_date=day)
        elif name == "exempt":
            member_exempt(
                member=member,
                effective_date=day,
                decision=decision,
                poor_health=True,
                on_request=True,
            )
        elif name == "restore":
            member_restore(member=member, unit=unit, effective_date=day, decision=decision)
        elif name == "readmit":
            member_readmit(
                member=member, unit=unit, decision=decision, ceremony_date=day, consent=decision
            )
        else:  # pragma: no cover
            raise AssertionError(name)
