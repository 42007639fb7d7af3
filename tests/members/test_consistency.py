"""After any sequence of service calls, what is cached on members equals what their events say."""

from __future__ import annotations

import collections
import datetime
import itertools

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from branches.models import Unit
from branches.services import unit_create, unit_dissolve
from members.models import Event, Member, MemberState, Status
from tests.conftest import d
from tests.histories import OPERATIONS, History, corrections, operations


@pytest.fixture
def units(tree) -> list[Unit]:
    """The tree's units (one that holds no members), one founded late and one dissolved early."""
    late = unit_create(
        code="long-thanh-3",
        name="Chi bộ khu vực Long Thạnh 3",
        kind=Unit.Kind.CELL,
        founded_on=d("2016-01-01"),
        parent=tree.gc,
    )
    closed = unit_create(
        code="long-thanh-cu",
        name="Chi bộ khu vực Long Thạnh cũ",
        kind=Unit.Kind.CELL,
        founded_on=d("2010-01-01"),
        parent=tree.gc,
    )
    unit_dissolve(unit=closed, on=d("2014-01-01"))
    return [tree.cell_a, tree.cell_b, tree.gcell, late, tree.gc, closed]


def expected_periods(events: list[Event]) -> list[tuple]:
    """Roll periods replayed from events: (unit, start, end, start event, end event)."""
    periods: list[list] = []
    for event in events:
        if event.kind in Event.CLOSING_KINDS:
            assert periods and periods[-1][2] is None, f"{event} closes no open period"
            periods[-1][2], periods[-1][4] = event.effective_date, event.pk
        if event.kind in Event.OPENING_KINDS:
            periods.append([event.unit_id, event.effective_date, None, event.pk, None])
    return [tuple(p) for p in periods]


def check_member(member: Member) -> None:
    assert member.state == member.derived_state()
    events = list(member.events.standing().order_by("effective_date", "pk"))
    # Events are written in date order: replaying in date order is replaying in writing order.
    assert [e.pk for e in events] == sorted(e.pk for e in events)

    periods = list(member.memberships.order_by("start_date", "pk"))
    assert [
        (p.unit_id, p.start_date, p.end_date, p.start_event_id, p.end_event_id) for p in periods
    ] == expected_periods(events)
    # The file is kept by the cell of the latest period: the current one, or the last one left.
    assert member.record_unit_id == periods[-1].unit_id
    open_periods = [p for p in periods if p.end_date is None]
    if member.is_active:
        assert len(open_periods) == 1
        assert open_periods[0].unit_id == member.unit_id
        # Probationary exactly while not yet recognized: restoration and transfers rely on it.
        assert (member.status == Status.PROBATIONARY) == (member.recognized_on is None)
    else:
        assert open_periods == []
        assert member.unit_id is None
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end_date is not None
        assert earlier.end_date <= later.start_date


START = datetime.date(2012, 1, 1)


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations(n_units=6))
def test_cached_state_equals_the_replayed_events(units, directive28, ops):
    with transaction.atomic():
        history = History(units=units, day=START, directive=directive28)
        history.seed(*units[:3])
        history.apply(ops)
        for member in Member.objects.all():
            check_member(member)
        transaction.set_rollback(True)


# Member 0 (born 1985) reaches the exemption's age in 2045: the script runs on a later "today",
# since nothing after today may be recorded (issue 25).
@time_machine.travel(datetime.datetime(2050, 1, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_the_interpreter_applies_every_operation(units, directive28):
    """The random histories are not vacuous: each operation, drawn sensibly, is applied."""
    history = History(units=units, day=START, directive=directive28)
    history.seed(units[0], units[1])  # members 0 and 1
    cell_a, cell_b, gcell, late = range(4)
    history.apply(
        [
            ("recognize", 0, cell_a, 400, 0),
            ("temporary_transfer", 0, gcell, 10, 1),
            ("transfer", 0, late, 1500, 0),  # 2016: the late cell exists
            ("transfer_out", 1, cell_a, 10, 0),
            ("transfer_back_in", 1, gcell, 10, 1),
            ("remove", 0, cell_a, 10, 5),  # expelled (official), discipline
            ("restore", 0, cell_b, 10, 0),
            ("remove", 1, cell_a, 10, 0),  # struck off, unpaid dues
            ("readmit", 1, gcell, 1200, 0),  # 36+ months later
            ("arrive", 0, cell_b, 10, 1),  # member 2
            ("death", 2, cell_a, 10, 0),
            ("admit", 0, cell_a, 10, 2),  # member 3
            ("exempt", 0, cell_a, 10, 1),  # waits until member 0 is 60 (R16), so last
        ]
    )
    assert collections.Counter(history.applied) == collections.Counter(
        {
            "admit": 3,
            "remove": 2,
            **{name: 1 for name in OPERATIONS if name not in ("admit", "remove")},
        }
    )
    assert [m.status for m in Member.objects.order_by("pk")] == [
        Status.OFFICIAL,
        Status.PROBATIONARY,
        Status.DEAD,
        Status.PROBATIONARY,
    ]
    for member in Member.objects.all():
        check_member(member)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations(n_units=6), picks=corrections())
def test_corrections_and_cancellations_replay_to_the_standing_events(
    units, directive28, ops, picks
):
    """Any history put right with random corrections and cancellations: each member's cached
    state and roll periods are those of their events without the cancelled ones."""
    with transaction.atomic():
        history = History(units=units, day=START, directive=directive28)
        history.seed(*units[:3])
        history.apply(ops)
        history.put_right(picks)
        for member in Member.objects.all():
            check_member(member)
            fresh = MemberState.replay(
                e for e in member.events.order_by("effective_date", "pk") if e.cancelled_at is None
            )
            assert member.state == fresh
        transaction.set_rollback(True)
