"""The counting layer: every figure of every report comes from ``unit_figures``.

For a unit's subtree and an inclusive period [start, end]:

- members at the start are those on a roll at the end of the day before ``start`` (before the
  first day's events), in cells under the unit on that day; members at the end are those on a
  roll after ``end``'s events, in cells under the unit on ``end``. Neither depends on the
  directive filter.
- flows are the events with ``start <= effective_date <= end`` in cells under the unit on the
  event's day. An official transfer between two cells both under the unit is internal and
  counted on neither side.
- when units join or leave the subtree during the period (a reorganization), the members they
  bring or take are counted as ``moved_in`` / ``moved_out``, so the figures still balance:

  start + admitted + readmitted + transferred_in + restored + moved_in
        − struck_off − discharged − expelled − died − transferred_out − moved_out = end

Three queries, whatever the size of the tree: one over roll periods (start, end, moves), one
``GROUP BY kind`` over events, one counting the grassroots organizations under the unit.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db.models import Count, Exists, F, OuterRef, Q

from branches.models import Unit, UnitAncestry
from members.models import Directive, Event, Membership

K = Event.Kind

# Flow figures, in report order, with the event kind each counts.
FLOW_KINDS = {
    "admitted": K.ADMISSION,
    "readmitted": K.READMISSION,
    "recognized": K.RECOGNITION,
    "transferred_in": K.TRANSFER_IN,
    "restored": K.RESTORATION,
    "transferred_out": K.TRANSFER_OUT,
    "struck_off": K.STRUCK_OFF,
    "discharged": K.DISCHARGED,
    "expelled": K.EXPELLED,
    "died": K.DEATH,
    "exempted": K.EXEMPTION,
    "temporary_transfers": K.TEMPORARY_TRANSFER,
}


@dataclasses.dataclass(frozen=True)
class Flows:
    admitted: int = 0
    readmitted: int = 0
    recognized: int = 0
    transferred_in: int = 0
    restored: int = 0
    transferred_out: int = 0
    struck_off: int = 0
    discharged: int = 0
    expelled: int = 0
    died: int = 0
    exempted: int = 0
    temporary_transfers: int = 0

    @property
    def removed(self) -> int:
        """Đưa ra khỏi Đảng: the three kinds of removal together."""
        return self.struck_off + self.discharged + self.expelled

    @property
    def increase(self) -> int:
        return self.admitted + self.readmitted + self.transferred_in + self.restored

    @property
    def decrease(self) -> int:
        return self.removed + self.died + self.transferred_out


@dataclasses.dataclass(frozen=True)
class Figures:
    unit: Unit
    start: datetime.date
    end: datetime.date
    directive: Directive | None
    members_at_start: int
    members_at_end: int
    grassroots_organizations: int  # grassroots organizations under the unit at the end
    moved_in: int
    moved_out: int
    all_events: Flows  # every event in the period: what the balance is made of
    flows: Flows  # the events carried out under ``directive`` (all events when it is None)

    @property
    def balance_difference(self) -> int:
        """Zero when the figures balance (they always should: tests hold it)."""
        f = self.all_events
        return (
            self.members_at_start + f.increase + self.moved_in - f.decrease - self.moved_out
        ) - self.members_at_end

    def as_dict(self) -> dict:
        data = {
            "unit": self.unit.code,
            "unit_name": self.unit.name,
            "from": self.start.strftime("%d/%m/%Y"),
            "to": self.end.strftime("%d/%m/%Y"),
            "directive": self.directive.code if self.directive else None,
            "members_at_start": self.members_at_start,
            "members_at_end": self.members_at_end,
            "grassroots_organizations": self.grassroots_organizations,
        }
        for name in FLOW_KINDS:
            data[name] = getattr(self.flows, name)
        data["removed"] = self.flows.removed
        data["moved_in"] = self.moved_in
        data["moved_out"] = self.moved_out
        data["all_events"] = {
            **{name: getattr(self.all_events, name) for name in FLOW_KINDS},
            "removed": self.all_events.removed,
        }
        data["balanced"] = self.balance_difference == 0
        return data


def _valid_on(prefix: str, day) -> Q:
    """The closure row ``prefix`` is valid on ``day`` (a date or an F expression)."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def _open_on(day) -> Q:
    """A roll period is open at the end of ``day``."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


def _open_before(day) -> Q:
    """A roll period is open at the end of the day before ``day`` (an F expression)."""
    return Q(start_date__lt=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def _roll_counts(unit: Unit, start: datetime.date, end: datetime.date) -> dict[str, int]:
    before = start - datetime.timedelta(days=1)
    a = "unit__ancestry__"
    in_range = {"gte": start, "lte": end}
    entered = Q(**{f"{a}valid_from__{op}": day for op, day in in_range.items()})
    left = Q(**{f"{a}valid_to__{op}": day for op, day in in_range.items()})
    return Membership.objects.filter(
        Q(**{f"{a}ancestor": unit}) & (_valid_on(a, before) | _valid_on(a, end) | entered | left)
    ).aggregate(
        members_at_start=Count("pk", filter=_valid_on(a, before) & _open_on(before)),
        members_at_end=Count("pk", filter=_valid_on(a, end) & _open_on(end)),
        moved_in=Count("pk", filter=entered & _open_before(F(f"{a}valid_from"))),
        moved_out=Count("pk", filter=left & _open_before(F(f"{a}valid_to"))),
    )


def _flow_rows(unit: Unit, start: datetime.date, end: datetime.date):
    a = "unit__ancestry__"
    other_end_inside = UnitAncestry.objects.filter(
        _valid_on("", OuterRef("effective_date")),
        unit=OuterRef("other_unit"),
        ancestor=unit,
    )
    return (
        Event.objects.filter(
            Q(**{f"{a}ancestor": unit}) & _valid_on(a, F("effective_date")),
            effective_date__gte=start,
            effective_date__lte=end,
        )
        .annotate(internal=Exists(other_end_inside))
        .values("kind", "internal", "directive_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def unit_figures(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None = None,
) -> Figures:
    """Every figure for ``unit``'s subtree over the inclusive period [start, end]."""
    if end < start:
        raise ValueError("end before start")
    all_counts: dict[str, int] = dict.fromkeys(FLOW_KINDS, 0)
    directive_counts: dict[str, int] = dict.fromkeys(FLOW_KINDS, 0)
    by_kind = {kind: name for name, kind in FLOW_KINDS.items()}
    for row in _flow_rows(unit, start, end):
        if row["internal"] and row["kind"] in (K.TRANSFER_IN, K.TRANSFER_OUT):
            continue  # a move between two cells of this subtree: no change to its members
        name = by_kind[row["kind"]]
        all_counts[name] += row["n"]
        if directive is None or row["directive_id"] == directive.pk:
            directive_counts[name] += row["n"]
    roll = _roll_counts(unit, start, end)
    grassroots = (
        UnitAncestry.objects.valid_on(end)
        .filter(ancestor=unit, unit__kind__in=Unit.GRASSROOTS_KINDS)
        .exclude(unit=unit)
        .count()
    )
    return Figures(
        unit=unit,
        start=start,
        end=end,
        directive=directive,
        members_at_start=roll["members_at_start"],
        members_at_end=roll["members_at_end"],
        grassroots_organizations=grassroots,
        moved_in=roll["moved_in"],
        moved_out=roll["moved_out"],
        all_events=Flows(**all_counts),
        flows=Flows(**directive_counts),
    )
