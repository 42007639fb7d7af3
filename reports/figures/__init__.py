"""The counting layer: every figure of every report comes from here.

- ``unit_figures``: every figure of a unit's subtree over an inclusive period, in three
  queries whatever the size of the tree (the unit's row, the events ``GROUP BY kind``, the
  roll periods);
- ``children_figures``: the same for each unit directly under the unit on the last day, in
  three queries for all of them (each child's equal to ``unit_figures(child, …)``), and
  ``total_figures``, their column sums;
- ``admission_breakdown``: the admitted by the official forms' categories, in two queries;
  ``yearly_flows``: admissions and removals by year, in one;
- ``flow_events`` / ``roll_members``: the records behind each figure, as querysets.

What each figure counts is written in ``definitions`` (plain ORM); this module runs those
querysets, through ``sql`` (their SQL built once per shape), and sums their rows.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db import router

from branches.models import Unit
from members import choices
from members.models import Directive, Event
from thotnot_members.snapshot import read_snapshot

from . import definitions as d
from . import sql
from .definitions import (
    ADMITTED_SUBSETS,
    AGE_BANDS,
    FLOW_KINDS,
    GROUPED_FIGURES,
    ROLL_FIGURES,
    flow_events,
    roll_members,
)

__all__ = [
    "ADMITTED_SUBSETS",
    "AGE_BANDS",
    "FLOW_KINDS",
    "GROUPED_FIGURES",
    "ROLL_FIGURES",
    "AdmissionBreakdown",
    "Figures",
    "Flows",
    "YearFlows",
    "admission_breakdown",
    "children_figures",
    "flow_events",
    "roll_members",
    "total_figures",
    "unit_figures",
    "yearly_flows",
]

K = Event.Kind


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
    # Of the struck off, those struck off while probationary (form 1), in all events and
    # under ``directive``.
    all_struck_off_probationary: int = 0
    struck_off_probationary: int = 0

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


# --- a unit's figures, and its children's --------------------------------------------------------


def _roll_counts(
    unit: Unit, start: datetime.date, end: datetime.date, *, children: list[int] | None = None
):
    """Members at start and end, moved in and out: a dict (``children``, the ids of the units
    directly under ``unit`` on ``end``: a list of dicts, one per child with ``child``)."""
    before = start - datetime.timedelta(days=1)
    if children is not None:
        return sql.rows(
            ("roll", "by child"),
            d.rolls_by_child,
            children=children,
            start=start,
            end=end,
            before=before,
        )
    if unit.spans_tree:
        return sql.aggregate(
            ("roll", "spanning"), d.spanning_rolls, d.spanning_roll_counts, end=end, before=before
        )
    values = {"unit_id": unit.pk, "start": start, "end": end, "before": before}
    return sql.aggregate(("roll",), d.rolls, d.roll_counts, **values)


def _flow_rows(
    unit: Unit, start: datetime.date, end: datetime.date, *, children: list[int] | None = None
):
    """The events of the period in the unit's subtree (or, ``children``, each child's), counted
    by kind, internal or not, directive and (struck off) probationary before: a list of
    dicts."""
    if children is not None:
        return sql.rows(
            ("flows", "by child"), d.subtree_flows, children=children, start=start, end=end
        )
    if unit.spans_tree:
        return sql.rows(("flows", "spanning"), d.spanning_flows, start=start, end=end)
    return sql.rows(("flows",), d.subtree_flows, unit_id=unit.pk, start=start, end=end)


def _count_flows(rows, directive: Directive | None) -> tuple[dict, dict, list[int]]:
    """Sum ``_flow_rows`` rows: counts of all events, of the directive's, and of the struck off
    while probationary (all, directive's)."""
    all_counts: dict[str, int] = dict.fromkeys(FLOW_KINDS, 0)
    directive_counts: dict[str, int] = dict.fromkeys(FLOW_KINDS, 0)
    probationary = [0, 0]
    for row in rows:
        if row["internal"] and row["kind"] in (K.TRANSFER_IN, K.TRANSFER_OUT):
            continue  # a move between two cells of this subtree: no change to its members
        name = d.NAME_OF_KIND[row["kind"]]
        counted = directive is None or row["directive_id"] == directive.pk
        all_counts[name] += row["n"]
        if counted:
            directive_counts[name] += row["n"]
        if row["probationary_before"]:
            probationary[0] += row["n"]
            if counted:
                probationary[1] += row["n"]
    return all_counts, directive_counts, probationary


def _make_figures(unit, start, end, directive, rows, roll, grassroots) -> Figures:
    all_counts, directive_counts, probationary = _count_flows(rows, directive)
    return Figures(
        unit=unit,
        start=start,
        end=end,
        directive=directive,
        members_at_start=roll.get("members_at_start", 0),
        members_at_end=roll.get("members_at_end", 0),
        grassroots_organizations=grassroots,
        moved_in=roll.get("moved_in", 0),
        moved_out=roll.get("moved_out", 0),
        all_events=Flows(**all_counts),
        flows=Flows(**directive_counts),
        all_struck_off_probationary=probationary[0],
        struck_off_probationary=probationary[1],
    )


def unit_figures(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None = None,
) -> Figures:
    """Every figure for ``unit``'s subtree over the inclusive period [start, end], its three
    queries read as of one moment (``read_snapshot``: the home page and a unit's page show
    these figures outside the reports' own snapshot, ``report_reads``;
    docs/decisions/0007-report-snapshot.md)."""
    if end < start:
        raise ValueError("end before start")
    with read_snapshot(router.db_for_read(Event)):
        # First the unit's row: whether it spans the tree (read afresh: it decides the form of
        # the other two queries), with the count of grassroots organizations under it.
        (row,) = sql.rows(("unit",), d.unit_row, unit_id=unit.pk, end=end)
        unit.spans_tree, grassroots = bool(row["spans"]), row["grassroots"]
        rows = _flow_rows(unit, start, end)
        roll = _roll_counts(unit, start, end)
    return _make_figures(unit, start, end, directive, rows, roll, grassroots)


def children_figures(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None = None,
) -> list[Figures]:
    """``unit_figures`` of each unit directly under ``unit`` on ``end`` (in Vietnamese order of
    their names, as the unit tree lists them), in three queries however many children there are.

    Each child's figures are its own subtree's, wherever the child was during the period: the
    events and roll periods are joined to the closure rows (unit, ancestor = child, valid on the
    event's day) and those to the child's link under ``unit`` valid on ``end``, then grouped by
    child. A transfer between two children counts for both (as it does in their own reports).
    """
    if end < start:
        raise ValueError("end before start")
    found = _children(unit.pk, end)
    if not found:
        return []
    rows_by_child: dict[int, list[dict]] = {child.pk: [] for child, _grassroots in found}
    children = list(rows_by_child)
    for row in _flow_rows(unit, start, end, children=children):
        rows_by_child[row["child"]].append(row)
    rolls = {row["child"]: row for row in _roll_counts(unit, start, end, children=children)}
    found.sort(key=lambda pair: (pair[0].sort_key, pair[0].code))
    return [
        _make_figures(
            child,
            start,
            end,
            directive,
            rows_by_child[child.pk],
            rolls.get(child.pk, {}),
            grassroots,
        )
        for child, grassroots in found
    ]


def _children(unit_id: int, end: datetime.date) -> list[tuple[Unit, int]]:
    """The units directly under unit ``unit_id`` on ``end``, each with the number of grassroots
    organizations under it then, in one query."""
    using = router.db_for_read(Unit)
    fields = d.UNIT_FIELDS
    return [
        (
            Unit.from_db(using, fields, [row[f"unit__{name}"] for name in fields]),
            row["grassroots"],
        )
        for row in sql.rows(("children",), d.child_rows, unit_id=unit_id, end=end)
    ]


def total_figures(unit: Unit, children: list[Figures]) -> Figures | None:
    """The column sums of ``children`` (the total row of a table of children), as a Figures of
    ``unit``. It balances when every child does. It may differ from ``unit_figures(unit)``: a
    transfer between two children is counted in both rows, and units that joined or left
    ``unit`` during the period count only in the rows of the children they are in on ``end``."""
    if not children:
        return None
    first = children[0]

    def sum_flows(attr: str) -> Flows:
        return Flows(
            **{name: sum(getattr(getattr(f, attr), name) for f in children) for name in FLOW_KINDS}
        )

    def total(attr: str) -> int:
        return sum(getattr(f, attr) for f in children)

    return Figures(
        unit=unit,
        start=first.start,
        end=first.end,
        directive=first.directive,
        members_at_start=total("members_at_start"),
        members_at_end=total("members_at_end"),
        grassroots_organizations=total("grassroots_organizations"),
        moved_in=total("moved_in"),
        moved_out=total("moved_out"),
        all_events=sum_flows("all_events"),
        flows=sum_flows("flows"),
        all_struck_off_probationary=total("all_struck_off_probationary"),
        struck_off_probationary=total("struck_off_probationary"),
    )


# --- the admitted, by the official forms' categories ---------------------------------------------


@dataclasses.dataclass(frozen=True)
class AdmissionBreakdown:
    """The admitted and re-admitted of a subtree and period (under ``directive``, if any)."""

    total: int  # admitted + re-admitted
    admitted: int
    readmitted: int
    women: int
    ethnic_minorities: int
    religious: int
    youth_union: int
    private_business_owners: int
    married_to_foreigners: int
    age_bands: dict[str, int]  # AGE_BANDS keys
    mean_age: float | None  # at admission; None when nobody was admitted
    occupation: dict[str, int]  # choices.OccupationGroup values
    general_education: dict[str, int]
    professional_level: dict[str, int]
    academic_title: dict[str, int]  # the titles only (no "none")
    grassroots_admitting: int  # grassroots organizations that admitted anyone

    @property
    def aged_18_30(self) -> int:
        return self.age_bands["18_30"]


def _age_band(years: int) -> str:
    """The ``AGE_BANDS`` key of an age in whole years."""
    for key, low, high in AGE_BANDS:
        if (low is None or years >= low) and (high is None or years <= high):
            return key
    raise ValueError(years)  # the bands cover every age


def admission_breakdown(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None = None,
) -> AdmissionBreakdown:
    """The admitted by the categories of form 2, in two queries: one pass over the admissions
    counting every category at once for each age (in whole years at the decision's date,
    computed exactly in SQL), and the grassroots organizations that admitted anyone."""
    values, shape = sql.subtree_values(unit, directive, start=start, end=end)
    spans = unit.spans_tree
    by_age = sql.rows(
        ("breakdown", *shape), lambda **v: d.admissions_by_age(spans=spans, **v), **values
    )
    row = dict.fromkeys(d.breakdown_counts(), 0)
    age_bands = dict.fromkeys((key for key, _low, _high in AGE_BANDS), 0)
    age_sum = 0
    for group in by_age:
        for name in row:
            row[name] += group[name]
        age_bands[_age_band(group["years"])] += group["total"]
        age_sum += group["years"] * group["total"]
    grassroots = 0
    # The grassroots organizations are inside the subtree whenever the unit is at or above the
    # grassroots level (the tree's kinds keep the levels in order); under a cell or an
    # intermediate committee there is none to count.
    if unit.kind in (Unit.Kind.ABOVE_GRASSROOTS, *Unit.GRASSROOTS_KINDS):
        grassroots = sql.aggregate(
            ("breakdown grassroots", *shape),
            lambda **v: d.grassroots_admitting(spans=spans, **v),
            d.grassroots_admitting_count,
            **values,
        )["n"]
    total = row["total"]
    return AdmissionBreakdown(
        total=total,
        admitted=row["admitted"],
        readmitted=row["readmitted"],
        women=row["women"],
        ethnic_minorities=row["ethnic_minorities"],
        religious=row["religious"],
        youth_union=row["youth_union"],
        private_business_owners=row["private_business_owners"],
        married_to_foreigners=row["married_to_foreigners"],
        age_bands=age_bands,
        mean_age=round(age_sum / total, 1) if total else None,
        occupation={v: row[f"occupation__{v}"] for v in choices.OccupationGroup.values},
        general_education={
            v: row[f"general_education__{v}"] for v in choices.GeneralEducation.values
        },
        professional_level={
            v: row[f"professional_level__{v}"] for v in choices.ProfessionalLevel.values
        },
        academic_title={
            v: row[f"academic_title__{v}"]
            for v in choices.AcademicTitle.values
            if v != choices.AcademicTitle.NONE
        },
        grassroots_admitting=grassroots,
    )


# --- admissions and removals by year -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class YearFlows:
    year: int
    admitted: int  # admitted + re-admitted
    removed: int  # struck off + discharged + expelled


def yearly_flows(
    unit: Unit,
    first_year: int,
    end: datetime.date,
    directive: Directive | None = None,
) -> list[YearFlows]:
    """Admissions and removals in ``unit``'s subtree for each year from ``first_year`` to
    ``end``'s year (the last year up to ``end``), in one ``GROUP BY`` year query."""
    values, shape = sql.subtree_values(
        unit, directive, first_day=datetime.date(first_year, 1, 1), end=end
    )
    rows = sql.rows(("years", *shape), d.yearly_rows, **values)
    by_year = {int(row["year"]): row for row in rows}
    return [
        YearFlows(
            year=year,
            admitted=by_year.get(year, {}).get("admitted", 0),
            removed=by_year.get(year, {}).get("removed", 0),
        )
        for year in range(first_year, end.year + 1)
    ]
