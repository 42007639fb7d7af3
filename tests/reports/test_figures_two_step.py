"""Issue 24 item 6 (R18): a transfer between offices in two steps counts out on the day the
introduction is sent and in on the day of the arrival, so every report balances across the
gap, even when both ends are under the unit (the member is on no roll in between)."""

from __future__ import annotations

import pytest

from members.services import member_transfer_receive, member_transfer_send
from reports.figures import Flows, unit_figures
from tests.conftest import admit_official, d, make_decision

pytestmark = pytest.mark.django_db

SENT, ARRIVED = d("2023-06-05"), d("2023-06-20")


@pytest.fixture
def moved(tree):
    """Two members in cell A (of the ward); one sent to the grassroots cell (of the district,
    not of the ward), received 15 days later."""
    admit_official(tree.cell_a, d("2018-03-01"))
    member = admit_official(tree.cell_a, d("2018-03-01"))
    transfer = member_transfer_send(
        member=member, to_unit=tree.gcell, sent_on=SENT, decision=make_decision(SENT)
    )
    member_transfer_receive(transfer=transfer, received_on=ARRIVED, decision=make_decision(ARRIVED))
    return tree


@pytest.mark.parametrize(
    ("start", "end", "flows", "at_end"),
    [
        # The period ends while the member is on the way: out, not yet in.
        (d("2023-01-01"), d("2023-06-10"), Flows(transferred_out=1), 1),
        # It starts on the way: in only.
        (d("2023-06-10"), d("2023-12-31"), Flows(transferred_in=1), 2),
        # It holds both days: out and in.
        (d("2023-01-01"), d("2023-12-31"), Flows(transferred_in=1, transferred_out=1), 2),
    ],
)
def test_the_districts_report_balances_across_a_pending_transfer(moved, start, end, flows, at_end):
    figures = unit_figures(moved.root, start, end)
    assert figures.all_events == flows
    assert figures.members_at_end == at_end
    assert figures.balance_difference == 0


def test_each_end_counts_its_own_day(moved):
    ward = unit_figures(moved.gc, d("2023-01-01"), d("2023-12-31"))
    assert ward.all_events == Flows(transferred_out=1)
    assert ward.balance_difference == 0
    school = unit_figures(moved.gcell, d("2023-06-01"), d("2023-06-30"))
    assert school.all_events == Flows(transferred_in=1)
    assert school.balance_difference == 0
