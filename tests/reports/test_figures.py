"""reports.figures.unit_figures: known figures for a hand-built history, period boundaries, the
balance for random trees and histories, and a query count independent of the tree's size."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branches.models import Unit, UnitParent
from branches.services import unit_create, unit_move
from members.models import Directive, Event, Member, Membership, MemberState, Status
from members.services import (
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
)
from reports.figures import FLOW_KINDS, Flows, unit_figures
from tests.conftest import admit, admit_official, d, make_decision, new_person
from tests.histories import History, corrections, operations

K = Event.Kind
R = Event.Reason

pytestmark = pytest.mark.django_db


# --- (a) a hand-built history with known figures -----------------------------------------------

YEAR = (d("2022-01-01"), d("2022-12-31"))


def remove(member, kind, reason, on, directive=None):
    member_remove(
        member=member,
        kind=kind,
        reason=reason,
        effective_date=on,
        decision=make_decision(on, directive=directive),
        standards_kept=True,  # a discharge: the member kept the standards (R13)
    )


@pytest.fixture
def history(tree, directive28) -> SimpleNamespace:
    """Members of cell_a (A), cell_b (B) and the grassroots cell (C), and their 2022.

    On 31/12/2021: A has m1 m2 m5 m8, B has m3 m9 m12, C has m4 m11 (m6, m7, m10 are out).
    """
    a, b, c = tree.cell_a, tree.cell_b, tree.gcell
    d24 = Directive.objects.create(
        code="24-QĐ/TW", title="Thi hành Điều lệ Đảng", issued_on=d("2021-07-30"), issuer="BCH TW"
    )
    m1 = admit_official(a, d("2020-03-01"))
    m2 = admit_official(a, d("2020-05-01"))
    m3 = admit_official(b, d("2020-06-01"))
    m4 = admit_official(c, d("2020-07-01"))
    m5 = admit(a, d("2021-06-01"))
    m6 = admit_official(b, d("2015-03-01"))
    remove(m6, K.STRUCK_OFF, R.UNPAID_DUES, d("2018-06-01"))
    m7 = admit_official(c, d("2016-02-01"))
    remove(m7, K.EXPELLED, R.DISCIPLINE, d("2021-09-01"))
    m8 = admit_official(a, d("2019-01-10"))
    m9 = admit_official(b, d("2020-02-01"))
    m10 = admit_official(a, d("2019-02-01"))
    remove(m10, K.STRUCK_OFF, R.NO_IMPROVEMENT, d("2021-12-31"))  # the day before: not counted
    m11 = admit_official(c, d("2019-03-01"), born=d("1960-02-01"))  # 62 when exempted (R16)
    m12 = admit(b, d("2021-04-01"), ceremony=d("2021-04-05"))

    # 2022
    member_record_death(member=m8, effective_date=d("2022-01-01"))  # on the first day: counted
    admit(a, d("2022-02-10"), directive=directive28)
    member_readmit(
        member=m6,
        unit=b,
        decision=make_decision(d("2022-03-01")),
        ceremony_date=d("2022-03-01"),
        consent=make_decision(d("2022-02-01")),
    )
    admit(c, d("2022-03-05"))
    member_restore(
        member=m7, unit=c, effective_date=d("2022-04-01"), decision=make_decision(d("2022-04-01"))
    )
    member_recognize(
        member=m12, effective_date=d("2022-04-05"), decision=make_decision(d("2022-04-20"))
    )  # official from the end of probation, decided later (R8)
    for member, to_unit, on in ((m1, b, d("2022-05-01")), (m2, c, d("2022-06-01"))):
        member_transfer(
            member=member, to_unit=to_unit, effective_date=on, decision=make_decision(on)
        )
    member_transfer_out(
        member=m3,
        destination="Tỉnh ủy Hậu Giang",
        effective_date=d("2022-07-01"),
        decision=make_decision(d("2022-07-01"), directive=d24),
    )
    member_transfer_in(
        member=new_person(admitted_on=d("2019-05-19"), recognized_on=d("2020-05-19")),
        unit=a,
        origin="Huyện ủy Vĩnh Thạnh",
        effective_date=d("2022-08-01"),
        decision=make_decision(d("2022-08-01")),
        probationary=False,
    )
    remove(m5, K.STRUCK_OFF, R.NO_IMPROVEMENT, d("2022-09-01"), directive28)
    remove(m4, K.EXPELLED, R.DISCIPLINE, d("2022-10-01"), directive28)
    member_exempt(
        member=m11,
        effective_date=d("2022-11-01"),
        decision=make_decision(d("2022-11-01")),
        poor_health=True,
        on_request=True,
    )
    member_temporary_transfer(
        member=m12,
        destination="Đảng bộ xã Tân Lộc",
        effective_date=d("2022-11-15"),
        decision=make_decision(d("2022-11-15")),
    )
    remove(m9, K.DISCHARGED, R.ON_REQUEST, d("2022-12-31"), directive28)  # on the last day
    member_record_death(member=m11, effective_date=d("2023-01-01"))  # the day after: not counted
    return SimpleNamespace(tree=tree, d28=directive28, d24=d24)


# (members at start, members at end, every event, events under Directive 28)
EXPECTED = {
    "cell_a": (
        4,
        2,
        Flows(admitted=1, transferred_in=1, transferred_out=2, struck_off=1, died=1),
        Flows(admitted=1, struck_off=1),
    ),
    "cell_b": (
        3,
        3,
        Flows(
            readmitted=1,
            recognized=1,
            transferred_in=1,
            transferred_out=1,
            temporary_transfers=1,
            discharged=1,
        ),
        Flows(discharged=1),
    ),
    "gcell": (
        2,
        4,
        Flows(admitted=1, restored=1, transferred_in=1, expelled=1, exempted=1),
        Flows(expelled=1),
    ),
    # The committee: m1's move A → B is internal; m2's A → C leaves it.
    "gc": (
        7,
        5,
        Flows(
            admitted=1,
            readmitted=1,
            recognized=1,
            transferred_in=1,
            transferred_out=2,
            struck_off=1,
            discharged=1,
            died=1,
            temporary_transfers=1,
        ),
        Flows(admitted=1, struck_off=1, discharged=1),
    ),
    # The district: both moves are internal.
    "root": (
        9,
        9,
        Flows(
            admitted=2,
            readmitted=1,
            recognized=1,
            transferred_in=1,
            restored=1,
            transferred_out=1,
            struck_off=1,
            discharged=1,
            expelled=1,
            died=1,
            exempted=1,
            temporary_transfers=1,
        ),
        Flows(admitted=1, struck_off=1, discharged=1, expelled=1),
    ),
}


@pytest.mark.parametrize("unit_name", EXPECTED)
def test_figures_of_a_known_history(history, unit_name):
    at_start, at_end, every, under_28 = EXPECTED[unit_name]
    unit = getattr(history.tree, unit_name)
    figures = unit_figures(unit, *YEAR)
    assert (figures.members_at_start, figures.members_at_end) == (at_start, at_end)
    assert (figures.moved_in, figures.moved_out) == (0, 0)
    assert figures.all_events == every
    assert figures.flows == every  # no directive: every event
    assert figures.balance_difference == 0
    data = figures.as_dict()
    assert data["balanced"] is True
    assert data["removed"] == every.struck_off + every.discharged + every.expelled
    assert all(data[name] == getattr(every, name) for name in FLOW_KINDS)

    filtered = unit_figures(unit, *YEAR, directive=history.d28)
    assert filtered.flows == under_28
    assert filtered.all_events == every
    assert (filtered.members_at_start, filtered.members_at_end) == (at_start, at_end)
    assert filtered.balance_difference == 0
    assert filtered.as_dict()["directive"] == "28-CT/TW"


def test_totals_of_the_known_history(history):
    flows = unit_figures(history.tree.root, *YEAR).all_events
    assert (flows.removed, flows.increase, flows.decrease) == (3, 5, 5)


def test_directive_filter_picks_its_own_events(history):
    figures = unit_figures(history.tree.root, *YEAR, directive=history.d24)
    assert figures.flows == Flows(transferred_out=1)


def test_an_internal_transfer_counts_for_the_cells_not_for_their_committee(history):
    may = (d("2022-05-01"), d("2022-05-31"))  # m1: A → B only
    assert unit_figures(history.tree.cell_a, *may).all_events == Flows(transferred_out=1)
    assert unit_figures(history.tree.cell_b, *may).all_events == Flows(transferred_in=1)
    assert unit_figures(history.tree.gc, *may).all_events == Flows()


def test_struck_off_while_probationary_in_the_known_history(history):
    """m5, admitted in 2021 and struck off in 2022 under Directive 28, was on probation."""
    for name, n in (("cell_a", 1), ("cell_b", 0), ("gcell", 0), ("gc", 1), ("root", 1)):
        unit = getattr(history.tree, name)
        figures = unit_figures(unit, *YEAR, directive=history.d28)
        assert (figures.all_struck_off_probationary, figures.struck_off_probationary) == (n, n)


def test_struck_off_while_probationary_is_the_standing_just_before(tree):
    cell = tree.cell_a
    official = admit_official(cell, d("2020-01-01"))
    newcomer = admit(cell, d("2022-01-10"))
    moved = admit(tree.cell_b, d("2022-01-10"))  # arrives in cell_a on probation by transfer
    member_transfer(
        member=moved,
        to_unit=cell,
        effective_date=d("2022-03-01"),
        decision=make_decision(d("2022-03-01")),
    )
    for member in (official, newcomer, moved):
        remove(member, K.STRUCK_OFF, R.UNPAID_DUES, d("2022-06-01"))
    figures = unit_figures(cell, *YEAR)
    assert figures.all_events.struck_off == 3
    assert figures.all_struck_off_probationary == figures.struck_off_probationary == 2


# --- period boundaries -------------------------------------------------------------------------


@pytest.fixture
def boundaries(tree):
    """Admissions and deaths on cell_a around the first half of 2022."""
    cell = tree.cell_a
    dying = {on: admit_official(cell, d("2020-01-01")) for on in ("2021-12-31", "2022-01-01")}
    dying |= {on: admit_official(cell, d("2020-01-01")) for on in ("2022-06-30", "2022-07-01")}
    for on in ("2021-12-31", "2022-01-01", "2022-06-30", "2022-07-01"):
        admit(cell, d(on))
    for on, member in dying.items():
        member_record_death(member=member, effective_date=d(on))
    return cell


def test_events_on_the_first_and_last_day_count_and_those_outside_do_not(boundaries):
    figures = unit_figures(boundaries, d("2022-01-01"), d("2022-06-30"))
    assert figures.all_events == Flows(admitted=2, died=2)


def test_members_at_start_are_counted_before_the_first_days_events(boundaries):
    figures = unit_figures(boundaries, d("2022-01-01"), d("2022-06-30"))
    # The three who lived past 31/12/2021 and the one admitted on it; not the one who died on it.
    assert figures.members_at_start == 4
    # After the last day's events: the one who died on 30/06 is gone, the one admitted is in.
    assert figures.members_at_end == 4
    assert figures.balance_difference == 0


def test_a_one_day_period(boundaries):
    figures = unit_figures(boundaries, d("2022-01-01"), d("2022-01-01"))
    assert figures.all_events == Flows(admitted=1, died=1)
    assert (figures.members_at_start, figures.members_at_end) == (4, 4)
    before = unit_figures(boundaries, d("2021-12-31"), d("2021-12-31"))
    assert before.all_events == Flows(admitted=1, died=1)
    assert (before.members_at_start, before.members_at_end) == (4, 4)


def test_a_period_ending_before_it_starts_is_refused(tree):
    with pytest.raises(ValueError):
        unit_figures(tree.root, d("2022-01-02"), d("2022-01-01"))


# --- (b) the balance, for random trees and histories -------------------------------------------


def build_forest() -> SimpleNamespace:
    """Two roots: T (with two above-grassroots A1 and A2 under it) and O, outside T."""
    K_ = Unit.Kind
    f = SimpleNamespace()

    def make(name, kind, parent=None, founded="2010-01-01"):
        unit = unit_create(code=name, name=name, kind=kind, founded_on=d(founded), parent=parent)
        setattr(f, name, unit)
        return unit

    make("T", K_.ABOVE_GRASSROOTS)
    make("O", K_.ABOVE_GRASSROOTS)
    make("A1", K_.ABOVE_GRASSROOTS, f.T)
    make("A2", K_.ABOVE_GRASSROOTS, f.T)
    make("G1", K_.GRASSROOTS_COMMITTEE, f.A1)
    make("G2", K_.GRASSROOTS_COMMITTEE, f.A2)
    make("G3", K_.GRASSROOTS_COMMITTEE, f.O)
    make("c1", K_.CELL, f.G1)
    make("c2", K_.CELL, f.G1)
    make("c3", K_.CELL, f.G2)
    make("c4", K_.CELL, f.G3)
    make("c5", K_.CELL, f.G2, founded="2016-01-01")
    make("K", K_.GRASSROOTS_CELL, f.A2)
    f.all = [f.T, f.O, f.A1, f.A2, f.G1, f.G2, f.G3, f.c1, f.c2, f.c3, f.c4, f.c5, f.K]
    f.rolls = [f.c1, f.c2, f.c3, f.c4, f.c5, f.K, f.G1]  # G1 holds no members: refused
    # Which units may move, and the parents each may be tried under (some kinds refused).
    f.movable = [
        (f.c1, [f.G1, f.G2, f.G3]),
        (f.c2, [f.G1, f.G2, f.G3]),
        (f.c3, [f.G1, f.G2, f.G3]),
        (f.c4, [f.G1, f.G2, f.G3]),
        (f.G1, [f.A1, f.A2, f.O, f.T]),
        (f.G2, [f.A1, f.A2, f.O, f.c1]),
        (f.K, [f.A1, f.A2, f.O]),
        (f.A2, [f.T, f.O, f.A1]),
    ]
    return f


FIRST = datetime.date(2012, 1, 1)
# Moves and periods are dated on the history's own days, give or take one, so that the edge
# cases (a move on the day of an event, a period starting on the day of a move) are common.
shift = st.sampled_from([-1, 0, 0, 1])
moves = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 100), shift), max_size=6
)
periods = st.lists(
    st.tuples(st.integers(0, 100), shift, st.integers(0, 100), shift), min_size=1, max_size=2
)


def on_day(days: list[datetime.date], index: int, shift: int) -> datetime.date:
    return days[index % len(days)] + datetime.timedelta(days=shift)


@dataclasses.dataclass
class Oracle:
    """Figures recomputed in Python from the parent links and the rows, not from the closure."""

    units: dict
    links: dict
    periods: list
    events: list

    @classmethod
    def load(cls) -> Oracle:
        links = collections.defaultdict(list)
        for link in UnitParent.objects.all():
            links[link.unit_id].append(link)
        # Each event with whether its member was probationary just before it (a replay).
        events, states = [], collections.defaultdict(MemberState)
        # Cancelled events count nowhere: the oracle replays the history without them.
        for event in Event.objects.standing().order_by("effective_date", "pk"):
            before = states[event.member_id]
            events.append((event, before.status == Status.PROBATIONARY))
            states[event.member_id] = before.after(event)
        return cls(
            units={u.pk: u for u in Unit.objects.all()},
            links=links,
            periods=list(Membership.objects.values_list("unit_id", "start_date", "end_date")),
            events=events,
        )

    def under(self, unit_id, ancestor_id, day) -> bool:
        while unit_id is not None and self.units[unit_id].exists_on(day):
            if unit_id == ancestor_id:
                return True
            unit_id = next(
                (
                    link.parent_id
                    for link in self.links[unit_id]
                    if link.valid_from <= day and (link.valid_to is None or day < link.valid_to)
                ),
                None,
            )
        return False

    def members(self, ancestor, day) -> int:
        return sum(
            1
            for unit_id, start, end in self.periods
            if start <= day and (end is None or end > day) and self.under(unit_id, ancestor.pk, day)
        )

    def flows(self, ancestor, start, end, directive=None) -> tuple[Flows, int]:
        """The flows, and how many of the struck off were probationary."""
        names = {kind: name for name, kind in FLOW_KINDS.items()}
        counts = collections.Counter()
        probationary_struck_off = 0
        for event, probationary in self.events:
            day = event.effective_date
            if not (start <= day <= end and self.under(event.unit_id, ancestor.pk, day)):
                continue
            if directive is not None and event.directive_id != directive.pk:
                continue
            internal = event.other_unit_id is not None and self.under(
                event.other_unit_id, ancestor.pk, day
            )
            if internal and event.kind in (K.TRANSFER_IN, K.TRANSFER_OUT):
                continue
            counts[names[event.kind]] += 1
            probationary_struck_off += event.kind == K.STRUCK_OFF and probationary
        return Flows(**counts), probationary_struck_off


# Besides the root T (every unit's figures are parts of it), a few units drawn per example:
# the figures cost ~15 ms each, so checking all 13 units every time would take minutes.
checked = st.lists(st.integers(1, 12), min_size=2, max_size=3, unique=True)


_BALANCE_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@_BALANCE_SETTINGS
@given(
    moves=moves,
    ops=operations(n_units=7, max_size=15),
    periods=periods,
    checked=checked,
)
def test_figures_balance_for_random_trees_and_histories(directive28, moves, ops, periods, checked):
    check_balance(directive28, moves, ops, [], periods, checked)


# Known defect (issue 25, 08/12/2026): Hypothesis found a history whose report is off by one
# once random corrections and cancellations are applied (a readmission, restorations and
# transfers, then five picks); not yet diagnosed. The test runs and reports it until fixed.
@pytest.mark.xfail(reason="issue 25: a report unbalanced after some corrections", strict=False)
@pytest.mark.django_db
@_BALANCE_SETTINGS
@given(
    moves=moves,
    ops=operations(n_units=7, max_size=15),
    picks=corrections(),
    periods=periods,
    checked=checked,
)
def test_figures_balance_after_random_corrections(directive28, moves, ops, picks, periods, checked):
    check_balance(directive28, moves, ops, picks, periods, checked)


def check_balance(directive28, moves, ops, picks, periods, checked):
    with transaction.atomic():
        forest = build_forest()
        history = History(units=forest.rolls, day=FIRST, directive=directive28)
        history.seed(forest.c1, forest.c3, forest.c4, forest.K)
        history.apply(ops)
        history.put_right(picks)  # random corrections and cancellations
        # Reorganizations, recorded after the events they reshape (as in 2025).
        event_days = sorted(set(Event.objects.values_list("effective_date", flat=True)))
        for which, parent_slot, index, shift in moves:
            unit, parents = forest.movable[which]
            with contextlib.suppress(ValidationError):
                unit_move(
                    unit=unit,
                    new_parent=parents[parent_slot % len(parents)],
                    on=on_day(event_days, index, shift),
                )
        days = sorted({*event_days, *UnitParent.objects.values_list("valid_from", flat=True)})

        oracle = Oracle.load()
        for a, shift_a, b, shift_b in periods:
            start, end = sorted((on_day(days, a, shift_a), on_day(days, b, shift_b)))
            for unit in [forest.all[0], *(forest.all[i] for i in checked)]:
                figures = unit_figures(unit, start, end)
                assert figures.balance_difference == 0, figures.as_dict()
                assert figures.members_at_start == oracle.members(
                    unit, start - datetime.timedelta(days=1)
                )
                assert figures.members_at_end == oracle.members(unit, end)
                flows, probationary = oracle.flows(unit, start, end)
                assert figures.all_events == figures.flows == flows
                assert figures.all_struck_off_probationary == probationary
                filtered = unit_figures(unit, start, end, directive=directive28)
                assert filtered.members_at_start == figures.members_at_start
                assert filtered.members_at_end == figures.members_at_end
                assert (filtered.moved_in, filtered.moved_out) == (
                    figures.moved_in,
                    figures.moved_out,
                )
                assert filtered.all_events == figures.all_events
                flows, probationary = oracle.flows(unit, start, end, directive28)
                assert filtered.flows == flows
                assert filtered.struck_off_probationary == probationary
                assert filtered.all_struck_off_probationary == figures.all_struck_off_probationary
        transaction.set_rollback(True)


def test_balance_holds_across_a_reorganization(tree):
    """The deterministic case the random test generalizes: a committee leaves mid-period with
    members, one of whom then dies; the district's figures still balance."""
    for _ in range(2):
        admit_official(tree.cell_a, d("2020-01-01"))
    dying = admit_official(tree.cell_b, d("2020-01-01"))
    ward = unit_create(
        code="phuong", name="Phường", kind=Unit.Kind.ABOVE_GRASSROOTS, founded_on=d("2010-01-01")
    )
    unit_move(unit=tree.gc, new_parent=ward, on=d("2025-07-01"))
    member_record_death(member=dying, effective_date=d("2025-08-01"))
    district = unit_figures(tree.root, d("2025-01-01"), d("2025-12-31"))
    assert (district.members_at_start, district.moved_out, district.members_at_end) == (3, 3, 0)
    assert district.all_events.died == 0
    assert district.balance_difference == 0
    new = unit_figures(ward, d("2025-01-01"), d("2025-12-31"))
    assert (new.members_at_start, new.moved_in, new.all_events.died, new.members_at_end) == (
        0,
        3,
        1,
        2,
    )
    assert new.balance_difference == 0


def test_events_on_the_day_of_a_move_count_for_the_new_parent(tree):
    """On the move's day the committee is already the ward's: a member admitted that day is the
    ward's admission (not moved in), and one struck off that day the ward's removal."""
    admit_official(tree.cell_a, d("2020-01-01"))
    leaving = admit_official(tree.cell_b, d("2020-01-01"))
    ward = unit_create(
        code="phuong", name="Phường", kind=Unit.Kind.ABOVE_GRASSROOTS, founded_on=d("2010-01-01")
    )
    unit_move(unit=tree.gc, new_parent=ward, on=d("2025-07-01"))
    admit(tree.cell_a, d("2025-07-01"))
    remove(leaving, K.STRUCK_OFF, R.UNPAID_DUES, d("2025-07-01"))
    year = (d("2025-01-01"), d("2025-12-31"))
    new = unit_figures(ward, *year)
    assert (new.members_at_start, new.moved_in, new.members_at_end) == (0, 2, 2)
    assert new.all_events == Flows(admitted=1, struck_off=1)
    old = unit_figures(tree.root, *year)
    assert (old.members_at_start, old.moved_out, old.members_at_end) == (2, 2, 0)
    assert old.all_events == Flows()
    assert new.balance_difference == old.balance_difference == 0


# --- (c) the query count does not grow with the tree -------------------------------------------


@pytest.fixture
def big_tree(tree):
    """The small tree plus 5 grassroots committees of 6 cells each, with members and events."""
    cells = []
    for g in range(5):
        committee = unit_create(
            code=f"dang-bo-{g}",
            name=f"Đảng bộ {g}",
            kind=Unit.Kind.GRASSROOTS_COMMITTEE,
            founded_on=d("2010-01-01"),
            parent=tree.root,
        )
        for c in range(6):
            cells.append(
                unit_create(
                    code=f"chi-bo-{g}-{c}",
                    name=f"Chi bộ {g}-{c}",
                    kind=Unit.Kind.CELL,
                    founded_on=d("2010-01-01"),
                    parent=committee,
                )
            )
    for i, cell in enumerate(cells):
        member = admit_official(cell, d("2020-01-01"))
        if i % 3 == 0:
            member_transfer(
                member=member,
                to_unit=cells[(i + 7) % len(cells)],
                effective_date=d("2022-03-01"),
                decision=make_decision(d("2022-03-01")),
            )
    unit_move(unit=cells[0], new_parent=tree.gc, on=d("2022-06-01"))
    return SimpleNamespace(root=tree.root, cell=tree.cell_a, cells=cells)


# Three since 7b4cd02 added the count of grassroots organizations (two before): pinned so
# that a fourth is a decision, not an accident.
FIGURES_QUERIES = 3


def test_query_count_is_the_same_for_a_cell_and_the_whole_tree(
    big_tree, directive28, django_assert_num_queries
):
    assert Unit.objects.under(big_tree.root, d("2022-12-31")).count() == 40
    for unit in (big_tree.cell, big_tree.cells[5], big_tree.root):
        for directive in (None, directive28):
            with django_assert_num_queries(FIGURES_QUERIES):
                figures = unit_figures(unit, *YEAR, directive=directive)
    assert figures.members_at_end == Member.objects.active().count() == 30
    assert figures.all_events.transferred_in == figures.all_events.transferred_out == 0
    # 1 original + 5 new committees, and the grassroots cell.
    assert figures.grassroots_organizations == 7
