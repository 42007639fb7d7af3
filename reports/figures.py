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

The other reads of a report keep to a constant number of queries too:

- ``children_figures``: the same figures for each unit directly under the unit on ``end``, in
  three queries for all of them (the same two queries grouped by child, and the children with
  their grassroots counts); each child's figures equal ``unit_figures(child, …)``.
- ``admission_breakdown``: the admitted (and re-admitted) by the official forms' categories, in
  one pass (conditional counts), and the grassroots organizations that admitted anyone;
  ``yearly_flows``: admissions and removals by year, one ``GROUP BY`` year.
- ``flow_events`` / ``roll_members``: the records behind each figure, as querysets.

Struck off "while probationary" (form 1) is counted in the events query: the member's latest
event that set their status before the removal was a (re-)admission, or an arrival
(transfer in, restoration) on probation. (Not "no recognition before": members who came from
outside as official members have no recognition among our events.)
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db import router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.functions import Coalesce

from branches.models import Unit, UnitAncestry, UnitParent
from members import choices
from members.models import Directive, Event, Membership
from members.text import fold
from thotnot_members.snapshot import read_snapshot

from . import prepared

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


def _roll_counts(
    unit: Unit, start: datetime.date, end: datetime.date, *, children: list[int] | None = None
):
    """Members at start and end, moved in and out: a dict (``children``, the ids of the units
    directly under ``unit`` on ``end``: a list of dicts, one per child with ``child``)."""
    before = start - datetime.timedelta(days=1)
    if children is not None:
        return prepared.rows(
            ("roll", "by child", len(children)),
            lambda **v: (
                _rolls(**_with_children(v))
                .values(child=F(f"{_A}ancestor"))
                .annotate(**_roll_aggregates(**v))
                .order_by()
            ),
            start=start,
            end=end,
            before=before,
            **_child_values(children),
        )
    if unit.spans_tree:
        return prepared.aggregate(
            ("roll", "spanning"), _spanning_rolls, _spanning_roll_counts, end=end, before=before
        )
    values = {"unit_id": unit.pk, "start": start, "end": end, "before": before}
    return prepared.aggregate(("roll",), _rolls, _roll_aggregates, **values)


def _spanning_rolls(*, end, before) -> QuerySet[Membership]:
    """The periods open at the end of ``before`` (the day before the start) or of ``end``,
    for the unit that spans the tree: no tree filter, and nothing moves in or out of it."""
    return Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=before), start_date__lte=end
    )


def _spanning_roll_counts(*, end, before) -> dict:
    # Counting start_date (never null), not id: the count reads the index alone
    # (membership_date_idx).
    return {
        "members_at_start": Count("start_date", filter=_open_on(before)),
        "members_at_end": Count("start_date", filter=_open_on(end)),
    }


_A = "closure__"


def _rolls(*, start, end, before, unit_id=None, children=None) -> QuerySet[Membership]:
    """The periods in cells that were under the unit (or a child) on one of the days counted."""
    return Membership.objects.filter(
        _in_subtree(_A, unit_id=unit_id, children=children)
        & (
            _valid_on(_A, before)
            | _valid_on(_A, end)
            | _in_range(f"{_A}valid_from", start, end)
            | _in_range(f"{_A}valid_to", start, end)
        ),
        # Implied by the conditions above; a plain comparison that lets SQLite see that the
        # closure rows are required (the aggregates' conditions make Django join them with a
        # LEFT OUTER JOIN), and so start from the subtree rather than scan every roll period.
        **{f"{_A}valid_from__lte": end},
    )


def _in_range(field: str, start, end) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lte": end})


def _roll_aggregates(*, start, end, before, **_unit) -> dict:
    # Counting start_date (never null), not id: the counts read the index alone
    # (membership_unit_idx).
    return {
        "members_at_start": Count("start_date", filter=_valid_on(_A, before) & _open_on(before)),
        "members_at_end": Count("start_date", filter=_valid_on(_A, end) & _open_on(end)),
        "moved_in": Count(
            "start_date",
            filter=_in_range(f"{_A}valid_from", start, end) & _open_before(F(f"{_A}valid_from")),
        ),
        "moved_out": Count(
            "start_date",
            filter=_in_range(f"{_A}valid_to", start, end) & _open_before(F(f"{_A}valid_to")),
        ),
    }


# The events that set a member's status (probationary or official), for "struck off while
# probationary": the latest of them before the removal decides.
_STATUS_KINDS = (*Event.ADMISSION_KINDS, K.RECOGNITION, K.TRANSFER_IN, K.RESTORATION)


def _was_probationary():
    """For a STRUCK_OFF event (NULL for other kinds): the member was probationary just before."""
    earlier = Event.objects.filter(
        Q(effective_date__lt=OuterRef("effective_date"))
        | Q(effective_date=OuterRef("effective_date"), pk__lt=OuterRef("pk")),
        member=OuterRef("member"),
        kind__in=_STATUS_KINDS,
    )
    on_probation = Case(
        When(Q(kind__in=Event.ADMISSION_KINDS) | Q(probationary=True), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    latest = earlier.order_by("-effective_date", "-pk").annotate(p=on_probation).values("p")[:1]
    return Case(
        When(kind=K.STRUCK_OFF, then=Subquery(latest, output_field=BooleanField())),
        default=None,
        output_field=BooleanField(),
    )


def _in_subtree(prefix: str, *, unit_id: int | None = None, children=None) -> Q:
    """Rows whose closure row ``prefix`` has the unit as its ancestor, or one of ``children``
    (the ids of the units directly under it on the report's last day).

    The children are passed as literal ids, read beforehand, rather than as a subquery on the
    dated links: PostgreSQL then knows how large their subtrees are (a subquery's children were
    guessed at 10 units of 70 cells; the whole tree's 33 provinces hold 306,000 cells) and
    plans for it (the whole tree's children's flows 4.2 → 2.2 s, their rolls 2.7 → 1.6 s: a
    hashed aggregate instead of a sort spilled to disk)."""
    if children is not None:
        return Q(**{f"{prefix}ancestor__in": children})
    return Q(**{f"{prefix}ancestor": unit_id})


def _child_values(children: list[int]) -> dict:
    """The children's ids as ``prepared`` values (one per id: the SQL's shape holds their
    number), for ``_with_children`` to gather again."""
    return {f"child_{i}": pk for i, pk in enumerate(children)}


def _with_children(values: dict) -> dict:
    """``values`` with the ``_child_values`` gathered again as ``children``, in order."""
    rest = {name: value for name, value in values.items() if not name.startswith("child_")}
    children = [values[f"child_{i}"] for i in range(len(values) - len(rest))]
    return {**rest, "children": children}


def _under(unit: Unit) -> Q:
    """Events in cells under ``unit`` on their day: a join on the closure, or no condition at
    all for the unit that spans the tree (every cell is under it every day)."""
    return Q() if unit.spans_tree else _under_id(unit.pk)


def _under_id(unit_id: int) -> Q:
    """Events in cells under the unit ``unit_id`` on their day, through the closure."""
    return Q(**{f"{_A}ancestor": unit_id}) & _valid_on(_A, F("effective_date"))


def _flow_rows(
    unit: Unit, start: datetime.date, end: datetime.date, *, children: list[int] | None = None
):
    """The events of the period in the unit's subtree (or, ``children``, each child's), counted
    by kind, internal or not, directive and (struck off) probationary before: a list of
    dicts."""
    if children is not None:
        return prepared.rows(
            ("flows", "by child", len(children)),
            lambda **v: _subtree_flows(**_with_children(v)),
            start=start,
            end=end,
            **_child_values(children),
        )
    if unit.spans_tree:
        return prepared.rows(("flows", "spanning"), _spanning_flows, start=start, end=end)
    return prepared.rows(("flows",), _subtree_flows, unit_id=unit.pk, start=start, end=end)


def _spanning_flows(*, start, end) -> QuerySet:
    """For the unit that spans the tree: every event of the period, with no tree filter; both
    ends of a transfer within the system are under it."""
    return _group_flows(
        Event.objects.filter(effective_date__gte=start, effective_date__lte=end),
        internal=Case(
            When(
                Q(kind__in=(K.TRANSFER_IN, K.TRANSFER_OUT), other_unit__isnull=False),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def _subtree_flows(*, start, end, unit_id=None, children=None) -> QuerySet:
    a = _A
    other_end_inside = UnitAncestry.objects.filter(
        _valid_on("", OuterRef("effective_date")),
        unit=OuterRef("other_unit"),
        ancestor=OuterRef(f"{a}ancestor") if children is not None else unit_id,
    )
    events = Event.objects.filter(
        _in_subtree(a, unit_id=unit_id, children=children) & _valid_on(a, F("effective_date")),
        effective_date__gte=start,
        effective_date__lte=end,
    )
    if children is not None:
        events = events.annotate(child=F(f"{a}ancestor"))
    # Only transfers can be internal: the subquery runs for them alone.
    internal = Case(
        When(kind__in=(K.TRANSFER_IN, K.TRANSFER_OUT), then=Exists(other_end_inside)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return _group_flows(events, internal=internal, group=["child"] if children is not None else [])


def _group_flows(events: QuerySet, *, internal, group=()):
    """Counts of ``events`` by kind, internal or not, directive and (struck off) probationary."""
    return (
        events.annotate(internal=internal, probationary_before=_was_probationary())
        .values(*group, "kind", "internal", "directive_id", "probationary_before")
        .annotate(n=Count("*"))
        .order_by()
    )


def _count_flows(rows, directive: Directive | None) -> tuple[dict, dict, list[int]]:
    """Sum ``_flow_rows`` rows: counts of all events, of the directive's, and of the struck off
    while probationary (all, directive's)."""
    all_counts: dict[str, int] = dict.fromkeys(FLOW_KINDS, 0)
    directive_counts: dict[str, int] = dict.fromkeys(FLOW_KINDS, 0)
    probationary = [0, 0]
    for row in rows:
        if row["internal"] and row["kind"] in (K.TRANSFER_IN, K.TRANSFER_OUT):
            continue  # a move between two cells of this subtree: no change to its members
        name = _NAME_OF_KIND[row["kind"]]
        counted = directive is None or row["directive_id"] == directive.pk
        all_counts[name] += row["n"]
        if counted:
            directive_counts[name] += row["n"]
        if row["probationary_before"]:
            probationary[0] += row["n"]
            if counted:
                probationary[1] += row["n"]
    return all_counts, directive_counts, probationary


_NAME_OF_KIND = {kind: name for name, kind in FLOW_KINDS.items()}


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
    these figures outside the reports' own snapshot, ``report_reads``)."""
    if end < start:
        raise ValueError("end before start")
    with read_snapshot(router.db_for_read(Event)):
        # First the unit's row: whether it spans the tree (read afresh: it decides the form of
        # the other two queries), with the count of grassroots organizations under it.
        (row,) = prepared.rows(("unit",), _unit_row, unit_id=unit.pk, end=end)
        unit.spans_tree, grassroots = bool(row["spans"]), row["grassroots"]
        rows = _flow_rows(unit, start, end)
        roll = _roll_counts(unit, start, end)
    return _make_figures(unit, start, end, directive, rows, roll, grassroots)


class _Count(Func):
    """COUNT as a plain function, for a subquery that counts (Django's own recipe for an
    aggregate inside a Subquery): no GROUP BY."""

    function = "COUNT"
    output_field = IntegerField()


def _unit_row(*, unit_id, end) -> QuerySet[Unit]:
    """The unit's ``spans_tree``, and the grassroots organizations under it on ``end``: those
    that exist then, for the unit that spans the tree; through the closure for any other."""
    existing = (
        Unit.objects.existing_on(end)
        .filter(kind__in=Unit.GRASSROOTS_KINDS)
        .order_by()
        .annotate(n=_Count("pk"))
        .values("n")
    )
    under = (
        UnitAncestry.objects.valid_on(end)
        .filter(ancestor=unit_id, unit_kind__in=Unit.GRASSROOTS_KINDS)
        .exclude(unit=unit_id)
        .order_by()
        .annotate(n=_Count("pk"))
        .values("n")
    )
    return Unit.objects.filter(pk=unit_id).values(
        spans=F("spans_tree"),
        grassroots=Case(
            When(spans_tree=True, then=Subquery(existing)),
            default=Subquery(under),
            output_field=IntegerField(),
        ),
    )


def children_figures(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None = None,
) -> list[Figures]:
    """``unit_figures`` of each unit directly under ``unit`` on ``end`` (in name order), in
    three queries however many children there are.

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
    found.sort(key=lambda pair: (fold(pair[0].name), pair[0].name, pair[0].code))
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


_UNIT_FIELDS = [field.attname for field in Unit._meta.concrete_fields]


def _child_rows(*, unit_id, end) -> QuerySet[UnitParent]:
    """The links of the units directly under unit ``unit_id`` on ``end``: each child's fields
    (``unit__…``) and the grassroots organizations under it then."""
    grassroots = (
        UnitAncestry.objects.valid_on(end)
        .filter(ancestor=OuterRef("unit"), unit_kind__in=Unit.GRASSROOTS_KINDS)
        .exclude(unit=OuterRef("unit"))
        .values("ancestor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        UnitParent.objects.valid_on(end)
        .filter(parent=unit_id)
        .values(*(f"unit__{name}" for name in _UNIT_FIELDS))
        .annotate(grassroots=Coalesce(Subquery(grassroots, output_field=IntegerField()), 0))
        .order_by()
    )


def _children(unit_id: int, end: datetime.date) -> list[tuple[Unit, int]]:
    """The units directly under unit ``unit_id`` on ``end``, each with the number of grassroots
    organizations under it then, in one query (its SQL built once, ``prepared``: building it
    through the ORM took 3 ms, three times the database's answer for a commune)."""
    using = router.db_for_read(Unit)
    return [
        (
            Unit.from_db(using, _UNIT_FIELDS, [row[f"unit__{name}"] for name in _UNIT_FIELDS]),
            row["grassroots"],
        )
        for row in prepared.rows(("children",), _child_rows, unit_id=unit_id, end=end)
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

# Age bands at admission (form 2), inclusive; the first takes everyone up to 30 and the last
# everyone over 60, so that the bands add up to the total.
AGE_BANDS = (
    ("18_30", None, 30),
    ("31_35", 31, 35),
    ("36_40", 36, 40),
    ("41_45", 41, 45),
    ("46_50", 46, 50),
    ("51_55", 51, 55),
    ("56_60", 56, 60),
    ("over_60", 61, None),
)


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


def _subtree_values(unit: Unit, directive: Directive | None, **values) -> tuple[dict, tuple]:
    """``prepared`` values for a count over ``unit``'s subtree (its id, unless it spans the
    tree) under ``directive`` (its id, if any), and the shape of the SQL they fill."""
    if not unit.spans_tree:
        values["unit_id"] = unit.pk
    if directive is not None:
        values["directive_id"] = directive.pk
    return values, (unit.spans_tree, directive is not None)


def _admissions(*, start, end, spans, unit_id=None, directive_id=None) -> QuerySet[Event]:
    """Admissions and re-admissions in the subtree of unit ``unit_id`` (``spans``: the unit
    that spans the tree, no tree filter) during [start, end], under the directive if any."""
    events = Event.objects.filter(
        kind__in=Event.ADMISSION_KINDS, effective_date__gte=start, effective_date__lte=end
    )
    if not spans:
        events = events.filter(_under_id(unit_id))
    if directive_id is not None:
        events = events.filter(directive=directive_id)
    return events


def _grassroots_admitting(*, spans, unit_id=None, **values) -> QuerySet[Event]:
    """``_admissions(…)`` joined to the closure rows of their cells valid on their day whose
    ancestor is a grassroots organization (of those ever under the unit, read from the
    closure's kind index; for the unit that spans the tree, every one): the grassroots
    organizations that admitted anyone are the distinct ancestors of those rows
    (``admission_breakdown`` counts them).

    One join from the admissions, rather than one existence test per grassroots organization
    under the unit (a province's 1,934 of them: 90 → 55 ms; a commune's 4.5 → 2-3 ms, planning
    included; the whole tree's the same, 1.6 s). A unit's kind never changes, so the closure's
    copy of it is the unit's."""
    if spans:
        grassroots = Unit.objects.filter(kind__in=Unit.GRASSROOTS_KINDS).values("pk")
    else:
        grassroots = UnitAncestry.objects.filter(
            ancestor=unit_id, unit_kind__in=Unit.GRASSROOTS_KINDS
        ).values("unit")
    # A second filter() on the closure: a join of its own, beside the subtree's (and the
    # count's ``_A + "ancestor"`` is this join's, the last one filtered on).
    return _admissions(spans=spans, unit_id=unit_id, **values).filter(
        Q(**{f"{_A}ancestor__{UnsoughtIn.lookup_name}": grassroots})
        & _valid_on(_A, F("effective_date"))
    )


class UnsoughtIn(RelatedIn):
    """``IN``, which SQLite is told not to answer from an index on its column (``+column``,
    SQLite's way to say so). Otherwise, for each closure row it would seek the index once for
    each grassroots organization in the list instead of reading the row's few ancestors and
    testing each against the list: a 150,000-member city's province on SQLite, 2.1 → 0.12 s.
    PostgreSQL gets the plain ``IN``."""

    lookup_name = "in_unsought"

    def as_sqlite(self, compiler, connection):
        sql, params = self.as_sql(compiler, connection)
        return f"+{sql}", params


UnitAncestry._meta.get_field("ancestor").register_lookup(UnsoughtIn)


class _DateAsNumber(Func):
    """A date as an integer, on SQLite through its own ``strftime`` with ``sqlite_format``:
    Django's date ``EXTRACT`` on SQLite calls a Python function for each row and field (~40
    ms of a district's report page for the ages; a 150,000-member city's yearly counts 154 →
    54 ms)."""

    arity = 1
    output_field = IntegerField()
    sqlite_format = ""

    def as_sqlite(self, compiler, connection, **extra_context):
        date_sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime(%s, {date_sql}) AS integer)", [self.sqlite_format, *params]


class DayNumber(_DateAsNumber):
    """A date as the integer yyyymmdd: the difference of two such numbers, divided by 10,000
    and rounded down, is the whole years between the two days (as ``Member.age_on`` counts
    them)."""

    sqlite_format = "%Y%m%d"

    def as_sql(self, compiler, connection, **extra_context):
        # As integers: PostgreSQL's EXTRACT gives numerics, several times slower to add up.
        (date_sql, params) = compiler.compile(self.source_expressions[0])
        parts, all_params = [], []
        for lookup, factor in (("year", 10_000), ("month", 100), ("day", 1)):
            sql, part_params = connection.ops.date_extract_sql(lookup, date_sql, params)
            parts.append(f"CAST({sql} AS integer) * {factor}")
            all_params.extend(part_params)
        return f"({' + '.join(parts)})", all_params


class YearNumber(_DateAsNumber):
    """A date's year as an integer (``yearly_flows``)."""

    sqlite_format = "%Y"

    def as_sql(self, compiler, connection, **extra_context):
        date_sql, params = compiler.compile(self.source_expressions[0])
        sql, params = connection.ops.date_extract_sql("year", date_sql, params)
        return f"CAST({sql} AS integer)", params


def _breakdown_counts() -> dict:
    """The conditional counts of ``admission_breakdown``, in one pass over the admissions,
    for each age in whole years (the rows' group)."""
    counts = {
        "total": Count("pk"),
        "admitted": Count("pk", filter=Q(kind=K.ADMISSION)),
        "readmitted": Count("pk", filter=Q(kind=K.READMISSION)),
    }
    for name, condition in ADMITTED_SUBSETS.items():
        counts[name.replace(":", "__")] = Count("pk", filter=condition)
    return counts


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
    values, shape = _subtree_values(unit, directive, start=start, end=end)
    # Grouped by age: each admission's age is computed once, as the group's key (as
    # conditions of the age bands' counts, it was computed for each band: the whole tree's
    # 631,561 admissions spent ~2 s on it); the bands and the mean age are summed here.
    by_age = prepared.rows(
        ("breakdown", *shape),
        lambda **v: (
            _admissions(spans=unit.spans_tree, **v)
            # Whole years at the decision: the yyyymmdd difference / 10,000 (integer division;
            # the difference is never negative, so it rounds down).
            .annotate(
                years=(DayNumber("effective_date") - DayNumber("member__date_of_birth")) / 10_000
            )
            .values("years")
            .annotate(**_breakdown_counts())
            .order_by()
        ),
        **values,
    )
    row = dict.fromkeys(_breakdown_counts(), 0)
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
        grassroots = prepared.aggregate(
            ("breakdown grassroots", *shape),
            lambda **v: _grassroots_admitting(spans=unit.spans_tree, **v),
            lambda **v: {"n": Count(f"{_A}ancestor", distinct=True)},
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


def _yearly_rows(*, first_day, end, unit_id=None, directive_id=None) -> QuerySet[Event]:
    """``yearly_flows``' counts by year in the subtree of unit ``unit_id`` (None: the unit
    that spans the tree, no tree filter)."""
    events = Event.objects.filter(
        kind__in=(*Event.ADMISSION_KINDS, *Event.REMOVAL_KINDS),
        effective_date__gte=first_day,
        effective_date__lte=end,
    )
    if unit_id is not None:
        events = events.filter(_under_id(unit_id))
    # The directive is a condition of the counts, not of the WHERE clause, so that the events
    # are found through the subtree's cells and dates whatever the directive.
    chosen = Q(directive=directive_id) if directive_id is not None else Q()
    return (
        events.annotate(year=YearNumber("effective_date"))
        .values("year")
        .annotate(
            admitted=Count("pk", filter=chosen & Q(kind__in=Event.ADMISSION_KINDS)),
            removed=Count("pk", filter=chosen & Q(kind__in=Event.REMOVAL_KINDS)),
        )
        .order_by()
    )


def yearly_flows(
    unit: Unit,
    first_year: int,
    end: datetime.date,
    directive: Directive | None = None,
) -> list[YearFlows]:
    """Admissions and removals in ``unit``'s subtree for each year from ``first_year`` to
    ``end``'s year (the last year up to ``end``), in one ``GROUP BY`` year query (its SQL
    built once per shape, ``prepared``)."""
    values, shape = _subtree_values(
        unit, directive, first_day=datetime.date(first_year, 1, 1), end=end
    )
    rows = prepared.rows(("years", *shape), _yearly_rows, **values)
    by_year = {int(row["year"]): row for row in rows}
    return [
        YearFlows(
            year=year,
            admitted=by_year.get(year, {}).get("admitted", 0),
            removed=by_year.get(year, {}).get("removed", 0),
        )
        for year in range(first_year, end.year + 1)
    ]


# --- the records behind the figures --------------------------------------------------------------

# What ``flow_events`` lists for each figure name that is not a single event kind.
GROUPED_FIGURES = {
    "admissions": Event.ADMISSION_KINDS,
    "removed": Event.REMOVAL_KINDS,
    "struck_off_probationary": (K.STRUCK_OFF,),
}


def _admitted_subsets() -> dict[str, Q]:
    """The categories of ``admission_breakdown`` that a condition on the member can list
    (not the age bands: those depend on each admission's date)."""
    m = "member__"
    subsets = {
        "women": Q(**{f"{m}gender": choices.Gender.FEMALE}),
        "ethnic_minorities": ~Q(**{f"{m}ethnicity": choices.Ethnicity.KINH}),
        "religious": ~Q(**{f"{m}religion": choices.Religion.NONE}),
        "youth_union": Q(**{f"{m}youth_union_member": True}),
        "private_business_owners": Q(**{f"{m}private_business_owner": True}),
        "married_to_foreigners": Q(**{f"{m}married_to_foreigner": True}),
    }
    for name, choice, field in (
        ("occupation", choices.OccupationGroup, "occupation_group"),
        ("general_education", choices.GeneralEducation, "general_education"),
        ("professional_level", choices.ProfessionalLevel, "professional_level"),
        ("academic_title", choices.AcademicTitle, "academic_title"),
    ):
        for value in choice.values:
            subsets[f"{name}:{value}"] = Q(**{f"{m}{field}": value})
    return subsets


ADMITTED_SUBSETS = _admitted_subsets()


def flow_events(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    directive: Directive | None,
    figure: str,
    subset: str = "",
) -> QuerySet[Event]:
    """The events counted in ``figure`` (a FLOW_KINDS name or a GROUPED_FIGURES one) of
    ``unit_figures(unit, start, end, directive)``, in date order; ``subset`` (one of
    ADMITTED_SUBSETS) keeps the members of one category of ``admission_breakdown``."""
    kinds = GROUPED_FIGURES.get(figure) or (FLOW_KINDS[figure],)
    if unit.spans_tree:  # both ends of a transfer within the system are under it
        other_end_inside = Q(other_unit__isnull=False)
    else:
        other_end_inside = Exists(
            UnitAncestry.objects.filter(
                _valid_on("", OuterRef("effective_date")),
                unit=OuterRef("other_unit"),
                ancestor=unit,
            )
        )
    events = Event.objects.filter(
        _under(unit),
        kind__in=kinds,
        effective_date__gte=start,
        effective_date__lte=end,
    ).exclude(Q(kind__in=(K.TRANSFER_IN, K.TRANSFER_OUT)) & other_end_inside)
    if directive is not None:
        events = events.filter(directive=directive)
    if figure == "struck_off_probationary":
        events = events.alias(probationary_before=_was_probationary()).filter(
            probationary_before=True
        )
    if subset:
        events = events.filter(ADMITTED_SUBSETS[subset])
    return events.order_by("effective_date", "pk")


ROLL_FIGURES = ("members_at_start", "members_at_end", "moved_in", "moved_out")


def roll_members(
    unit: Unit, start: datetime.date, end: datetime.date, figure: str
) -> QuerySet[Membership]:
    """The roll periods counted in ``figure`` (one of ROLL_FIGURES) of ``unit_figures``."""
    before = start - datetime.timedelta(days=1)
    if unit.spans_tree:  # no tree filter; nothing moves in or out of the whole
        condition = {
            "members_at_start": _open_on(before),
            "members_at_end": _open_on(end),
        }.get(figure, Q(pk__in=[]))
        return Membership.objects.filter(condition).order_by("member__name_sort_key", "pk")
    in_range = {"gte": start, "lte": end}
    condition = {
        "members_at_start": _valid_on(_A, before) & _open_on(before),
        "members_at_end": _valid_on(_A, end) & _open_on(end),
        "moved_in": Q(**{f"{_A}valid_from__{op}": day for op, day in in_range.items()})
        & _open_before(F(f"{_A}valid_from")),
        "moved_out": Q(**{f"{_A}valid_to__{op}": day for op, day in in_range.items()})
        & _open_before(F(f"{_A}valid_to")),
    }[figure]
    return Membership.objects.filter(Q(**{f"{_A}ancestor": unit}) & condition).order_by(
        "member__name_sort_key", "pk"
    )
