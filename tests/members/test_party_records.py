"""Issue 24, items 5 and 6: exemption (R16), temporary transfer (R17), party cards (R25) and
transfers between offices in two steps (R18), through the services and the database."""

from __future__ import annotations

import contextlib
import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from members import party_selectors, rules
from members.models import CardKind, Event, Member, Membership, OfficeTransfer, PartyCard, Status
from members.services import (
    member_card_record,
    member_exempt,
    member_exemption_end,
    member_temporary_return,
    member_temporary_transfer,
    member_transfer_in,
    member_transfer_receive,
    member_transfer_send,
)
from tests.conftest import admit, admit_official, d, error_keys, make_decision, nothing_written

K = Event.Kind
ON = d("2023-06-05")
GROUNDS = {"poor_health": True, "on_request": True}

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def refused(field: str | None = None, match: str | None = None):
    with nothing_written(), pytest.raises(ValidationError) as info:
        yield info
    if field is not None:
        assert field in error_keys(info.value), info.value
    if match is not None:
        assert match in " ".join(info.value.messages), info.value.messages


OLD = d("1960-01-01")


def old_member(unit, *, born=OLD, gender="male") -> Member:
    return admit_official(unit, d("2015-03-01"), born=born, gender=gender)


def exempt(member, on=ON, **grounds):
    return member_exempt(
        member=member, effective_date=on, decision=make_decision(on), **{**GROUNDS, **grounds}
    )


# --- R16: exemption ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gender", "born", "accepted"),
    [
        ("male", d("1963-06-05"), True),  # 60 on the day
        ("male", d("1963-06-06"), False),  # 59: 60 the next day
        ("female", d("1968-06-05"), True),  # 55 on the day
        ("female", d("1968-06-06"), False),  # 54
    ],
)
def test_exemption_needs_the_age(tree, gender, born, accepted):
    member = old_member(tree.cell_a, born=born, gender=gender)
    if accepted:
        assert exempt(member).kind == K.EXEMPTION
    else:
        with refused("effective_date", match="tuổi cao"):
            exempt(member)


@pytest.mark.parametrize("missing", ["poor_health", "on_request"])
def test_exemption_needs_poor_health_and_the_members_request(tree, missing):
    member = old_member(tree.cell_a)
    with refused(missing):
        exempt(member, **{missing: False})


def test_exemption_is_never_open_twice_and_ends_with_the_return(tree):
    member = old_member(tree.cell_a)
    first = exempt(member)
    later = ON + datetime.timedelta(days=40)
    with refused("effective_date", match="đang được miễn sinh hoạt"):
        exempt(member, on=later)
    with refused("ended_on"):
        member_exemption_end(member=member, ended_on=ON - datetime.timedelta(days=1))
    member_exemption_end(member=member, ended_on=later)
    first.refresh_from_db()
    assert first.ended_on == later
    with refused(match="không đang được miễn"):
        member_exemption_end(member=member, ended_on=later)
    with refused("effective_date", match="Lần trước kết thúc"):
        exempt(member, on=later - datetime.timedelta(days=1))
    second = exempt(member, on=later + datetime.timedelta(days=30))
    assert second.ended_on is None
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, tree.cell_a)


def test_the_database_keeps_one_exemption_open(tree):
    member = old_member(tree.cell_a)
    first = exempt(member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            member=member,
            kind=K.EXEMPTION,
            effective_date=ON,
            unit=tree.cell_a,
            decision_no=first.decision_no,
            decision_date=ON,
        )


def test_the_database_refuses_an_end_on_another_kind(tree):
    member = old_member(tree.cell_a)
    admission = member.events.get(kind=K.ADMISSION)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=admission.pk).update(ended_on=ON)


# --- R17: temporary transfer ------------------------------------------------------------------


def temporary(member, on=ON, **fields):
    fields.setdefault("destination", "Đảng bộ xã Tân Lộc")
    return member_temporary_transfer(
        member=member, effective_date=on, decision=make_decision(on), **fields
    )


@pytest.mark.parametrize(
    ("purpose", "term_end", "accepted"),
    [
        ("work", d("2023-09-04"), False),  # under 3 months
        ("work", d("2023-09-05"), True),  # 3 months
        ("work", d("2024-06-04"), True),  # under 12 months
        ("work", d("2024-06-05"), False),  # 12 months: not under
        ("study", d("2025-06-05"), True),  # 24 months
        ("study", d("2025-06-06"), False),  # over 24
    ],
)
def test_temporary_transfer_term(tree, purpose, term_end, accepted):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    if accepted:
        event = temporary(member, purpose=purpose, term_end=term_end)
        assert (event.purpose, event.term_end) == (purpose, term_end)
    else:
        with refused("term_end"):
            temporary(member, purpose=purpose, term_end=term_end)


def test_temporary_transfer_without_a_term_gets_the_longest(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    assert temporary(member).term_end == d("2024-06-04")


def test_no_temporary_transfer_over_an_open_one_and_the_return(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    first = temporary(member, term_end=d("2023-12-05"))
    with refused("effective_date", match="tạm thời"):
        temporary(member, on=d("2023-07-01"), term_end=d("2023-12-05"))
    member_temporary_return(member=member, ended_on=d("2023-11-20"))
    first.refresh_from_db()
    assert first.ended_on == d("2023-11-20")
    with refused(match="không đang sinh hoạt tạm thời"):
        member_temporary_return(member=member, ended_on=d("2023-11-21"))
    with refused("effective_date", match="Lần trước kết thúc"):
        temporary(member, on=d("2023-11-19"), term_end=d("2024-03-01"))
    temporary(member, on=d("2023-12-01"), term_end=d("2024-03-01"))


def test_the_database_keeps_one_temporary_transfer_open(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    temporary(member, term_end=d("2023-12-05"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            member=member,
            kind=K.TEMPORARY_TRANSFER,
            effective_date=ON,
            unit=tree.cell_a,
            other_unit_name="x",
            decision_no="1",
            decision_date=ON,
            purpose="work",
            term_end=d("2023-12-05"),
        )


def test_overdue_lists_those_past_their_term_not_returned(tree, django_user_model):
    from branches.models import Role

    office = django_user_model.objects.create_user(username="o", password="x")
    Role.objects.create(user=office, unit=tree.gc, kind=Role.Kind.GRASSROOTS_OFFICE)
    late = admit_official(tree.cell_a, d("2018-03-01"))
    back = admit_official(tree.cell_a, d("2018-03-01"))
    running = admit_official(tree.cell_b, d("2018-03-01"))
    temporary(late, term_end=d("2023-12-05"))
    temporary(back, term_end=d("2023-12-05"))
    member_temporary_return(member=back, ended_on=d("2023-12-01"))
    temporary(running, term_end=d("2024-05-05"))
    today = d("2024-01-10")
    overdue = list(party_selectors.temporary_transfers_overdue(office, today))
    assert [e.member_id for e in overdue] == [late.pk]


# --- R25: party cards -------------------------------------------------------------------------


CARD_DAY = d("2023-07-01")


def card(member, kind=CardKind.ISSUE, number="09012345", on=CARD_DAY):
    return member_card_record(member=member, kind=kind, number=number, issued_on=on)


def test_no_card_for_a_probationer(tree):
    member = admit(tree.cell_a, d("2023-01-10"))
    with refused(match="chính thức"):
        card(member)


def test_card_history_issue_replacement_exchange(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))  # official from 01/03/2019
    with refused("issued_on"):
        card(member, on=d("2019-02-28"))
    with refused("kind"):
        card(member, kind=CardKind.REPLACEMENT)
    card(member, on=d("2019-06-01"))
    with refused("kind"):
        card(member, number="09099999")
    with refused("issued_on"):
        card(member, kind=CardKind.REPLACEMENT, on=d("2019-05-01"))
    card(member, kind=CardKind.REPLACEMENT, on=d("2021-02-01"))
    card(member, kind=CardKind.EXCHANGE, number="CHIP-0001", on=d("2025-08-15"))
    member.refresh_from_db()
    assert member.party_card_no == "CHIP-0001"
    assert list(member.cards.values_list("kind", flat=True)) == [
        CardKind.ISSUE,
        CardKind.REPLACEMENT,
        CardKind.EXCHANGE,
    ]


def test_a_card_number_belongs_to_one_member(tree):
    first = admit_official(tree.cell_a, d("2018-03-01"))
    second = admit_official(tree.cell_a, d("2018-03-01"))
    card(first)
    with refused("number"):
        card(second)
    assert not PartyCard.objects.filter(member=second).exists()


# --- R18: transfers between offices in two steps -----------------------------------------------


def send(member, to_unit, on=ON):
    return member_transfer_send(
        member=member, to_unit=to_unit, sent_on=on, decision=make_decision(on)
    )


def receive(transfer, on):
    return member_transfer_receive(transfer=transfer, received_on=on, decision=make_decision(on))


def test_two_step_transfer_leaves_a_gap_off_the_roll(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    transfer = send(member, tree.gcell)
    member.refresh_from_db()
    assert (member.status, member.unit, member.record_unit) == (
        Status.TRANSFERRED_OUT,
        None,
        tree.cell_a,
    )
    assert OfficeTransfer.objects.pending().get() == transfer
    arrived = d("2023-06-20")
    receive(transfer, arrived)
    member.refresh_from_db()
    assert (member.status, member.unit, member.record_unit) == (
        Status.OFFICIAL,
        tree.gcell,
        tree.gcell,
    )
    periods = list(
        member.memberships.order_by("start_date").values_list("unit", "start_date", "end_date")
    )
    assert periods[-2:] == [(tree.cell_a.pk, d("2018-03-01"), ON), (tree.gcell.pk, arrived, None)]
    assert member.derived_state() == member.state
    assert not OfficeTransfer.objects.pending().exists()


def test_a_probationer_arrives_on_probation(tree):
    member = admit(tree.cell_a, d("2023-01-10"))
    receive(send(member, tree.cell_b), d("2023-06-10"))
    member.refresh_from_db()
    assert member.status == Status.PROBATIONARY


def test_arrival_within_30_working_days(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    transfer = send(member, tree.gcell)
    deadline = rules.arrival_deadline(ON)
    with refused("received_on", match="30 ngày làm việc"):
        receive(transfer, deadline + datetime.timedelta(days=1))
    with refused("received_on"):
        receive(transfer, ON - datetime.timedelta(days=1))
    receive(transfer, deadline)
    with refused(match="Đã tiếp nhận"):
        receive(transfer, deadline)


def test_send_to_the_members_own_cell_is_refused(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    with refused("to_unit"):
        send(member, tree.cell_a)


def test_a_member_on_the_way_is_not_taken_in_from_outside(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    send(member, tree.gcell)
    with refused(match="trên đường chuyển đến"):
        member_transfer_in(
            member=member,
            unit=tree.cell_b,
            origin="Tỉnh ủy Hậu Giang",
            effective_date=d("2023-06-10"),
            decision=make_decision(d("2023-06-10")),
            probationary=False,
        )


def test_the_database_keeps_one_transfer_on_the_way(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    transfer = send(member, tree.gcell)
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficeTransfer.objects.create(
            member=member,
            from_unit=tree.cell_a,
            to_unit=tree.cell_b,
            sent_on=ON,
            departure=Membership.objects.get(member=member).end_event,
        )
    assert transfer.pk


@time_machine.travel(datetime.datetime(2023, 6, 12, 9, tzinfo=datetime.UTC), tick=False)
def test_pending_lists_on_both_sides(cast):
    member = cast.members.b  # cell_b, of the Thốt Nốt ward
    transfer = send(member, cast.cell_o)  # to a cell of the Thới Thuận ward
    office, other = cast.users.office, cast.users.other_office
    assert list(party_selectors.transfers_sent_pending(office)) == [transfer]
    assert list(party_selectors.transfers_incoming_pending(office)) == []
    assert list(party_selectors.transfers_incoming_pending(other)) == [transfer]
    assert list(party_selectors.transfers_sent_pending(other)) == []
