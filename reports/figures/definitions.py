"""What each figure counts: the querysets that define it, in plain ORM (read with DESIGN.md).

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

Struck off "while probationary" (form 1): the member's latest event that set their status
before the removal was a (re-)admission, or an arrival (transfer in, restoration) on
probation. (Not "no recognition before": members who came from outside as official members
have no recognition among our events.)

"Cells under the unit on a day" is a join on the dated closure (``closure__``, the
``ClosureRows`` relation of events and roll periods, which joins the closure to a record's cell
directly: docs/decisions/0002-closure-rows.md); the unit that spans the tree needs no
tree filter at all, and has its own, simpler querysets here. Each queryset takes its values as
keyword arguments (ids and days), so that ``reports.figures`` can run it through the fast path
(``sql``) with any values; the counts, the records pages and the tests all read these.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from branches.models import Unit, UnitAncestry, UnitParent
from members import choices
from members.models import Event, Membership
from members.models.event import open_before, open_on

from .sql import DayNumber, PlainCount, UnsoughtIn, YearNumber

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
NAME_OF_KIND = {kind: name for name, kind in FLOW_KINDS.items()}

# The figures read from the roll periods rather than the events.
ROLL_FIGURES = ("members_at_start", "members_at_end", "moved_in", "moved_out")

# What ``flow_events`` lists for each figure name that is not a single event kind.
GROUPED_FIGURES = {
    "admissions": Event.ADMISSION_KINDS,
    "removed": Event.REMOVAL_KINDS,
    "struck_off_probationary": (K.STRUCK_OFF,),
}

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

_A = "closure__"  # the closure rows of an event's or a roll period's cell


# --- on the roll, under the unit -----------------------------------------------------------------


def valid_on(prefix: str, day) -> Q:
    """The closure row ``prefix`` is valid on ``day`` (a date or an F expression)."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def _in_range(field: str, start, end) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lte": end})


def roll_condition(figure: str, *, start, end, before, spans: bool = False) -> Q:
    """The roll periods counted in the roll figure ``figure`` (one of ROLL_FIGURES) of a
    subtree, joined to their cells' closure rows whose ancestor is the unit: on a roll in a
    cell under it at the end of ``before`` (the day before the start) or of ``end``, or on a
    roll in a cell that joined (``moved_in``) or left (``moved_out``) the subtree during the
    period, on the day it did. For the unit that spans the tree (``spans``), no closure:
    nothing moves in or out of the whole."""
    if spans:
        return {
            "members_at_start": open_on(before),
            "members_at_end": open_on(end),
        }.get(figure, Q(pk__in=[]))
    return {
        "members_at_start": valid_on(_A, before) & open_on(before),
        "members_at_end": valid_on(_A, end) & open_on(end),
        "moved_in": _in_range(f"{_A}valid_from", start, end) & open_before(F(f"{_A}valid_from")),
        "moved_out": _in_range(f"{_A}valid_to", start, end) & open_before(F(f"{_A}valid_to")),
    }[figure]


def in_subtree(prefix: str, *, unit_id: int | None = None, children=None) -> Q:
    """Rows whose closure row ``prefix`` has the unit as its ancestor, or one of ``children``
    (the ids of the units directly under it on the report's last day, read beforehand: as
    literal ids, PostgreSQL plans for the size of their subtrees, which it cannot guess from
    a subquery on the dated links; docs/decisions/0003-prepared-sql.md)."""
    if children is not None:
        return Q(**{f"{prefix}ancestor__in": children})
    return Q(**{f"{prefix}ancestor": unit_id})


def under_id(unit_id: int) -> Q:
    """Events in cells under the unit ``unit_id`` on their day, through the closure."""
    return Q(**{f"{_A}ancestor": unit_id}) & valid_on(_A, F("effective_date"))


def under(unit: Unit) -> Q:
    """Events in cells under ``unit`` on their day: a join on the closure, or no condition at
    all for the unit that spans the tree (every cell is under it every day)."""
    return Q() if unit.spans_tree else under_id(unit.pk)


# --- the unit and its children -------------------------------------------------------------------


def unit_row(*, unit_id, end) -> QuerySet[Unit]:
    """The unit's ``spans_tree``, and the grassroots organizations under it on ``end``: those
    that exist then, for the unit that spans the tree; through the closure for any other."""
    existing = (
        Unit.objects.existing_on(end)
        .filter(kind__in=Unit.GRASSROOTS_KINDS)
        .order_by()
        .annotate(n=PlainCount("pk"))
        .values("n")
    )
    subtree = (
        UnitAncestry.objects.valid_on(end)
        .filter(ancestor=unit_id, unit_kind__in=Unit.GRASSROOTS_KINDS)
        .exclude(unit=unit_id)
        .order_by()
        .annotate(n=PlainCount("pk"))
        .values("n")
    )
    return Unit.objects.filter(pk=unit_id).values(
        spans=F("spans_tree"),
        grassroots=Case(
            When(spans_tree=True, then=Subquery(existing)),
            default=Subquery(subtree),
            output_field=IntegerField(),
        ),
    )


UNIT_FIELDS = [field.attname for field in Unit._meta.concrete_fields]


def child_rows(*, unit_id, end) -> QuerySet[UnitParent]:
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
        .values(*(f"unit__{name}" for name in UNIT_FIELDS))
        .annotate(grassroots=Coalesce(Subquery(grassroots, output_field=IntegerField()), 0))
        .order_by()
    )


# --- members at the start and the end, moved in and out ------------------------------------------


def rolls(*, start, end, before, unit_id=None, children=None) -> QuerySet[Membership]:
    """The periods in cells that were under the unit (or a child) on one of the days counted."""
    return Membership.objects.filter(
        in_subtree(_A, unit_id=unit_id, children=children)
        & (
            valid_on(_A, before)
            | valid_on(_A, end)
            | _in_range(f"{_A}valid_from", start, end)
            | _in_range(f"{_A}valid_to", start, end)
        ),
        # Implied by the conditions above; a plain comparison that lets SQLite see that the
        # closure rows are required (the aggregates' conditions make Django join them with a
        # LEFT OUTER JOIN), and so start from the subtree rather than scan every roll period.
        **{f"{_A}valid_from__lte": end},
    )


def roll_counts(*, start, end, before, **_unit) -> dict:
    """The roll figures of ``rolls(…)``, counted."""
    # Counting start_date (never null), not id: the counts read the index alone
    # (membership_unit_idx).
    days = {"start": start, "end": end, "before": before}
    return {name: Count("start_date", filter=roll_condition(name, **days)) for name in ROLL_FIGURES}


def rolls_by_child(*, start, end, before, children) -> QuerySet[Membership]:
    """``roll_counts`` for each of ``children``: rows with ``child``."""
    return (
        rolls(start=start, end=end, before=before, children=children)
        .values(child=F(f"{_A}ancestor"))
        .annotate(**roll_counts(start=start, end=end, before=before))
        .order_by()
    )


def spanning_rolls(*, end, before) -> QuerySet[Membership]:
    """The periods open at the end of ``before`` (the day before the start) or of ``end``,
    for the unit that spans the tree: no tree filter, and nothing moves in or out of it."""
    return Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=before), start_date__lte=end
    )


def spanning_roll_counts(*, end, before) -> dict:
    """The roll figures of ``spanning_rolls(…)``, counted."""
    # Counting start_date (never null), not id: the count reads the index alone
    # (membership_date_idx).
    days = {"start": None, "end": end, "before": before, "spans": True}
    return {
        name: Count("start_date", filter=roll_condition(name, **days))
        for name in ("members_at_start", "members_at_end")
    }


def roll_members(unit: Unit, start, end, figure: str) -> QuerySet[Membership]:
    """The roll periods counted in ``figure`` (one of ROLL_FIGURES) of ``unit_figures``, in
    the members' name order."""
    days = {"start": start, "end": end, "before": start - datetime.timedelta(days=1)}
    if unit.spans_tree:
        periods = Membership.objects.filter(roll_condition(figure, **days, spans=True))
    else:
        periods = Membership.objects.filter(
            Q(**{f"{_A}ancestor": unit}) & roll_condition(figure, **days)
        )
    return periods.order_by("member__name_sort_key", "pk")


def counted_events() -> QuerySet[Event]:
    """The events the reports count: every one but those cancelled as mistakes (issue 25).
    The one filter of every figure read from the events."""
    return Event.objects.standing()


# --- the events of the period --------------------------------------------------------------------

# The events that set a member's status (probationary or official), for "struck off while
# probationary": the latest of them before the removal decides.
_STATUS_KINDS = (*Event.ADMISSION_KINDS, K.RECOGNITION, K.TRANSFER_IN, K.RESTORATION)


def was_probationary():
    """For a STRUCK_OFF event (NULL for other kinds): the member was probationary just before."""
    earlier = counted_events().filter(
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


def subtree_flows(*, start, end, unit_id=None, children=None) -> QuerySet:
    """The events of the period in the unit's subtree (or each child's: rows with ``child``),
    counted by kind, internal or not, directive and (struck off) probationary before."""
    other_end_inside = UnitAncestry.objects.filter(
        valid_on("", OuterRef("effective_date")),
        unit=OuterRef("other_unit"),
        ancestor=OuterRef(f"{_A}ancestor") if children is not None else unit_id,
    )
    events = counted_events().filter(
        in_subtree(_A, unit_id=unit_id, children=children) & valid_on(_A, F("effective_date")),
        effective_date__gte=start,
        effective_date__lte=end,
    )
    if children is not None:
        events = events.annotate(child=F(f"{_A}ancestor"))
    # Only transfers can be internal: the subquery runs for them alone.
    internal = Case(
        When(kind__in=(K.TRANSFER_IN, K.TRANSFER_OUT), then=Exists(other_end_inside)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return _group_flows(events, internal=internal, group=["child"] if children is not None else [])


def spanning_flows(*, start, end) -> QuerySet:
    """``subtree_flows`` for the unit that spans the tree: every event of the period, with no
    tree filter; both ends of a transfer within the system are under it."""
    return _group_flows(
        counted_events().filter(effective_date__gte=start, effective_date__lte=end),
        internal=Case(
            When(
                Q(kind__in=(K.TRANSFER_IN, K.TRANSFER_OUT), other_unit__isnull=False),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def _group_flows(events: QuerySet, *, internal, group=()):
    """Counts of ``events`` by kind, internal or not, directive and (struck off) probationary."""
    return (
        events.annotate(internal=internal, probationary_before=was_probationary())
        .values(*group, "kind", "internal", "directive_id", "probationary_before")
        .annotate(n=Count("*"))
        .order_by()
    )


def flow_events(
    unit: Unit, start, end, directive, figure: str, subset: str = ""
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
                valid_on("", OuterRef("effective_date")),
                unit=OuterRef("other_unit"),
                ancestor=unit,
            )
        )
    events = (
        counted_events()
        .filter(
            under(unit),
            kind__in=kinds,
            effective_date__gte=start,
            effective_date__lte=end,
        )
        .exclude(Q(kind__in=(K.TRANSFER_IN, K.TRANSFER_OUT)) & other_end_inside)
    )
    if directive is not None:
        events = events.filter(directive=directive)
    if figure == "struck_off_probationary":
        events = events.alias(probationary_before=was_probationary()).filter(
            probationary_before=True
        )
    if subset:
        events = events.filter(ADMITTED_SUBSETS[subset])
    return events.order_by("effective_date", "pk")


# --- the admitted, by the official forms' categories ---------------------------------------------


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


def admissions(*, start, end, spans, unit_id=None, directive_id=None) -> QuerySet[Event]:
    """Admissions and re-admissions in the subtree of unit ``unit_id`` (``spans``: the unit
    that spans the tree, no tree filter) during [start, end], under the directive if any."""
    events = counted_events().filter(
        kind__in=Event.ADMISSION_KINDS, effective_date__gte=start, effective_date__lte=end
    )
    if not spans:
        events = events.filter(under_id(unit_id))
    if directive_id is not None:
        events = events.filter(directive=directive_id)
    return events


def breakdown_counts() -> dict:
    """The conditional counts of ``admission_breakdown``, in one pass over the admissions."""
    counts = {
        "total": Count("pk"),
        "admitted": Count("pk", filter=Q(kind=K.ADMISSION)),
        "readmitted": Count("pk", filter=Q(kind=K.READMISSION)),
    }
    for name, condition in ADMITTED_SUBSETS.items():
        counts[name.replace(":", "__")] = Count("pk", filter=condition)
    return counts


def admissions_by_age(*, spans, **values) -> QuerySet[Event]:
    """``breakdown_counts`` of ``admissions(…)`` for each age at admission (``years``: whole
    years at the decision's date). Grouped by age, so that each admission's age is computed
    once, as the group's key; the bands and the mean age are summed from the groups."""
    return (
        admissions(spans=spans, **values)
        # Whole years at the decision: the yyyymmdd difference / 10,000 (integer division; the
        # difference is never negative, so it rounds down).
        .annotate(years=(DayNumber("effective_date") - DayNumber("member__date_of_birth")) / 10_000)
        .values("years")
        .annotate(**breakdown_counts())
        .order_by()
    )


def grassroots_admitting(*, spans, unit_id=None, **values) -> QuerySet[Event]:
    """``admissions(…)`` joined to the closure rows of their cells valid on their day whose
    ancestor is a grassroots organization (of those ever under the unit, read from the
    closure's kind index; for the unit that spans the tree, every one): the grassroots
    organizations that admitted anyone are the distinct ancestors of those rows
    (``grassroots_admitting_count``).

    One join from the admissions, rather than one existence test per grassroots organization
    under the unit, which was slower at every size (docs/performance.md). A unit's kind never
    changes, so the closure's copy of it is the unit's."""
    if spans:
        grassroots = Unit.objects.filter(kind__in=Unit.GRASSROOTS_KINDS).values("pk")
    else:
        grassroots = UnitAncestry.objects.filter(
            ancestor=unit_id, unit_kind__in=Unit.GRASSROOTS_KINDS
        ).values("unit")
    # A second filter() on the closure: a join of its own, beside the subtree's (and the
    # count's ``_A + "ancestor"`` is this join's, the last one filtered on).
    return admissions(spans=spans, unit_id=unit_id, **values).filter(
        Q(**{f"{_A}ancestor__{UnsoughtIn.lookup_name}": grassroots})
        & valid_on(_A, F("effective_date"))
    )


def grassroots_admitting_count(**_values) -> dict:
    """The count of ``grassroots_admitting(…)``: its distinct grassroots organizations."""
    return {"n": Count(f"{_A}ancestor", distinct=True)}


# --- admissions and removals by year -------------------------------------------------------------


def yearly_rows(*, first_day, end, unit_id=None, directive_id=None) -> QuerySet[Event]:
    """Admissions and removals by year from ``first_day`` to ``end`` in the subtree of unit
    ``unit_id`` (None: the unit that spans the tree, no tree filter)."""
    events = counted_events().filter(
        kind__in=(*Event.ADMISSION_KINDS, *Event.REMOVAL_KINDS),
        effective_date__gte=first_day,
        effective_date__lte=end,
    )
    if unit_id is not None:
        events = events.filter(under_id(unit_id))
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
