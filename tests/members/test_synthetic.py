"""The synthetic data (``devdata.synthetic``) is what the services would have written.

One data set of ~1,100 member records is generated for the module (a second module,
``test_synthetic_command``, checks determinism and the command's refusals). The checks do not
trust the generator's own bookkeeping: they replay the events, recompute the closure and the
figures independently (the figures tests' ``Oracle``), and re-check every rule the services
check, member by member.
"""

from __future__ import annotations

import collections
import datetime
import random

import pytest
from django.db import IntegrityError, transaction

from branches.models import Unit, UnitAncestry, UnitParent
from branches.services import rebuild_ancestry
from common.dates import add_months
from common.vntext import fold, name_sort_floor, name_sort_key
from devdata import synthetic
from devdata.synthetic import bulkload
from members.models import ACTIVE_STATUSES, Event, Member, MemberName, Membership, Status
from members.rules import (
    MAX_ADMISSION_AGE,
    MIN_ADMISSION_AGE,
    PROBATION_MONTHS,
    READMISSION_WAIT_MONTHS,
)
from reports.figures import unit_figures
from tests.members.test_consistency import check_member
from tests.reports.test_figures import Oracle

K = Event.Kind
MEMBERS = 1000
SEED = 11


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    """Generated once for the module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        counts = synthetic.generate(members=MEMBERS, seed=SEED)
        yield counts
        transaction.set_rollback(True)


@pytest.fixture
def units(data, db) -> dict[int, Unit]:
    return {u.pk: u for u in Unit.objects.all()}


def test_the_roll_at_the_end_has_the_members_asked_for(data, db):
    assert Member.objects.active().count() == MEMBERS
    # Some left: died, removed, transferred out.
    assert Member.objects.exclude(status__in=ACTIVE_STATUSES).count() > MEMBERS * 0.05
    assert (data.members, data.events, data.memberships) == (
        Member.objects.count(),
        Event.objects.count(),
        Membership.objects.count(),
    )
    # Every kind of event is there.
    assert set(Event.objects.values_list("kind", flat=True)) == set(Event.Kind.values)


def test_the_tree_follows_the_kinds_rules_and_has_reorganizations(data, units):
    for link in UnitParent.objects.all():
        parent, child = units[link.parent_id], units[link.unit_id]
        assert parent.may_hold_child(child.kind), (parent.code, child.code)
        assert parent.exists_on(link.valid_from)
        assert parent.dissolved_on is None or (
            link.valid_to is not None and link.valid_to <= parent.dissolved_on
        )
        assert link.valid_from >= child.founded_on
    kinds = collections.Counter(u.kind for u in units.values())
    assert all(kinds[kind] for kind in Unit.Kind.values), kinds
    roots = [u for u in units.values() if not UnitParent.objects.filter(unit=u).exists()]
    assert [r.code for r in roots] == [f"syn{SEED}"]
    dissolved = [u for u in units.values() if u.dissolved_on]
    assert {u.kind for u in dissolved} == {Unit.Kind.ABOVE_GRASSROOTS, Unit.Kind.CELL}
    assert all(u.successor_id for u in dissolved)
    # Moves: links closed while their unit lives on.
    moved = UnitParent.objects.filter(valid_to__isnull=False, unit__dissolved_on__isnull=True)
    assert moved.exists()
    # Units founded during the twenty years, too.
    assert any(u.founded_on > datetime.date(2006, 1, 1) for u in units.values())


def test_the_closure_is_what_rebuild_ancestry_writes(data, db):
    def rows():
        return sorted(
            UnitAncestry.objects.values_list(
                "unit_id", "ancestor_id", "valid_from", "valid_to", "unit_kind"
            )
        )

    written = rows()
    rebuild_ancestry(Unit.objects.values_list("pk", flat=True))
    assert rows() == written


def test_cached_state_equals_the_replayed_events(data, db):
    for member in Member.objects.all():
        check_member(member)


def test_names_have_their_search_and_sort_keys(data, db):
    for name, folded, key in Member.objects.values_list(
        "full_name", "name_folded", "name_sort_key"
    ):
        assert (folded, key) == (fold(name), name_sort_key(name))


def _age(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_every_event_keeps_the_rules_the_services_check(data, units):
    """Replay each member's events and check what each service would have refused."""
    events = collections.defaultdict(list)
    for event in Event.objects.order_by("effective_date", "pk"):
        events[event.member_id].append(event)
    for member in Member.objects.all():
        status = None
        admitted_on, recognized_on, ceremony, removal = (
            member.admitted_on if events[member.pk][0].kind != K.ADMISSION else None,
            None,
            None,
            None,
        )
        readmitted = False
        history = events[member.pk]
        previous = None
        for index, e in enumerate(history):
            day = e.effective_date
            unit = units[e.unit_id]
            assert unit.holds_members and unit.exists_on(day), e
            assert previous is None or day >= previous.effective_date
            if e.kind != K.DEATH:
                assert e.decision_no and e.decision_date <= day
            if e.kind in Event.ADMISSION_KINDS:
                assert MIN_ADMISSION_AGE <= _age(member.date_of_birth, day) <= MAX_ADMISSION_AGE
                if e.kind == K.ADMISSION:
                    assert index == 0
                else:
                    assert status == Status.REMOVED and not readmitted
                    assert removal.reason not in Event.FINAL_REASONS
                    assert day >= add_months(removal.effective_date, READMISSION_WAIT_MONTHS)
                    readmitted = True
                status, admitted_on, recognized_on, ceremony = (
                    Status.PROBATIONARY,
                    day,
                    None,
                    e.ceremony_date,
                )
            elif e.kind == K.RECOGNITION:
                assert status == Status.PROBATIONARY
                assert day >= add_months(ceremony or admitted_on, PROBATION_MONTHS)
                status, recognized_on = Status.OFFICIAL, day
            elif e.kind == K.TRANSFER_IN:
                if (
                    previous is not None
                    and previous.kind == K.TRANSFER_OUT
                    and previous.other_unit_id
                ):
                    # the arrival of a transfer within the system: same day, both ends
                    assert previous.effective_date == day
                    assert (previous.other_unit_id, e.other_unit_id) == (
                        e.unit_id,
                        previous.unit_id,
                    )
                else:
                    assert status in (None, Status.TRANSFERRED_OUT) and e.other_unit_name
                    if status is None:  # a new record from outside
                        recognized_on = member.recognized_on if e.probationary is False else None
                assert e.probationary == (recognized_on is None)
                status = Status.PROBATIONARY if e.probationary else Status.OFFICIAL
            elif e.kind == K.RESTORATION:
                assert status == Status.REMOVED
                assert e.probationary == (recognized_on is None)
                status = Status.PROBATIONARY if e.probationary else Status.OFFICIAL
            else:
                assert status in ACTIVE_STATUSES, e
                if e.kind == K.TRANSFER_OUT:
                    status = Status.TRANSFERRED_OUT
                    if e.other_unit_id:
                        assert units[e.other_unit_id].exists_on(day)
                        assert history[index + 1].kind == K.TRANSFER_IN
                elif e.kind in Event.REMOVAL_KINDS:
                    if e.kind == K.EXPELLED:
                        assert status == Status.OFFICIAL
                    assert (e.reason == Event.Reason.DISCIPLINE) == (e.kind == K.EXPELLED)
                    status, removal = Status.REMOVED, e
                elif e.kind == K.DEATH:
                    status = Status.DEAD
                elif e.kind == K.TEMPORARY_TRANSFER and e.other_unit_id:
                    other = units[e.other_unit_id]
                    assert other.holds_members and other.exists_on(day)
            previous = e
        assert member.status == status
        assert (member.admitted_on, member.recognized_on) == (admitted_on, recognized_on)
    # A period on a roll never outlives its cell, and none was opened on a dissolved one
    # after its dissolution.
    for unit_id, start, end in Membership.objects.values_list("unit", "start_date", "end_date"):
        unit = units[unit_id]
        assert unit.founded_on <= start
        assert unit.dissolved_on is None or (end is not None and end <= unit.dissolved_on)


def test_the_figures_balance_and_match_the_oracle(data, units):
    rng = random.Random(5)
    oracle = Oracle.load()
    root = Unit.objects.get(code=f"syn{SEED}")
    picked = [root, *rng.sample(sorted(units.values(), key=lambda u: u.pk), 12)]
    for unit in picked:
        for _ in range(3):
            first = datetime.date(2006, 1, 1) + datetime.timedelta(days=rng.randint(0, 7000))
            start, end = sorted(
                (
                    first,
                    first
                    + datetime.timedelta(days=rng.randint(0, 2500 if rng.random() < 0.5 else 200)),
                )
            )
            figures = unit_figures(unit, start, end)
            assert figures.balance_difference == 0, (unit.code, start, end, figures.as_dict())
            assert figures.members_at_end == oracle.members(unit, end)
            assert figures.members_at_start == oracle.members(
                unit, start - datetime.timedelta(days=1)
            )
            flows, probationary = oracle.flows(unit, start, end)
            assert figures.all_events == flows
            assert figures.all_struck_off_probationary == probationary
    # The 2025 mergers are seen: a merged commune's organizations leave it with their members.
    merged = Unit.objects.filter(kind=Unit.Kind.ABOVE_GRASSROOTS, dissolved_on__isnull=False)
    gone = merged.first()
    figures = unit_figures(gone, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert figures.moved_out > 0 and figures.members_at_end == 0
    assert figures.balance_difference == 0


def test_the_bulk_writes_are_checked_by_the_database(data, db):
    """The generator's inserts (COPY on PostgreSQL) go through the same check constraints:
    a row that breaks one is refused."""
    event = Event.objects.filter(kind=K.RECOGNITION).values_list()[0]
    columns = bulkload.EVENT_COLUMNS
    row = list(event)
    row[columns.index("id")] = Event.objects.order_by("-pk").first().pk + 1
    row[columns.index("reason")] = "unpaid_dues"  # only removals have a reason
    with pytest.raises(IntegrityError), transaction.atomic():
        bulkload.insert(Event, columns, [tuple(row)])


def test_the_spanning_root_gives_the_same_figures_without_a_tree_filter(data, db):
    """The root of the synthetic tree spans it: its reports skip the closure. Everything they
    read is the same as through the closure (the flag turned off for the comparison)."""
    from reports import figures as f

    root = Unit.objects.get(code=f"syn{SEED}")
    assert root.spans_tree
    rng = random.Random(9)
    periods = []
    for _ in range(4):
        first = datetime.date(2006, 1, 1) + datetime.timedelta(days=rng.randint(0, 7000))
        periods.append((first, first + datetime.timedelta(days=rng.randint(0, 1500))))
    directive = Event.objects.exclude(directive=None).first().directive

    def everything(unit):
        out = []
        for start, end in periods:
            for chosen in (None, directive):
                out.append(f.unit_figures(unit, start, end, chosen))
                out.append(f.admission_breakdown(unit, start, end, chosen))
                out.append(f.yearly_flows(unit, start.year, end, chosen))
            for figure in (*f.FLOW_KINDS, *f.GROUPED_FIGURES):
                out.append(list(f.flow_events(unit, start, end, None, figure).values_list("pk")))
            for figure in f.ROLL_FIGURES:
                out.append(list(f.roll_members(unit, start, end, figure).values_list("pk")))
        return out

    fast = everything(root)
    Unit.objects.filter(pk=root.pk).update(spans_tree=False)
    root.refresh_from_db()
    assert everything(root) == fast


def test_every_generated_members_name_is_in_the_dictionary(data, db):
    """The generator writes the members in bulk (COPY), not through ``Member.save``: it writes
    their names into the dictionary that the search anywhere in a name looks in, each with
    its sort floor, which no member of that name sorts below."""
    floors = dict(MemberName.objects.values_list("name", "sort_floor"))
    members = list(Member.objects.values_list("name_folded", "name_sort_key"))
    assert members and {name for name, _key in members} <= set(floors)
    assert all(floors[name] == name_sort_floor(name) for name, _key in members)
    assert all(floors[name] and floors[name] <= key for name, key in members)
