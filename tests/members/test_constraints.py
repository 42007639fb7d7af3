"""Rules the database holds by itself: writes that bypass the services still cannot break them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from members.models import Event, Member, Membership, Status
from members.services import member_admit
from tests.conftest import admit, admit_official, d, make_decision, new_person

K = Event.Kind

pytestmark = pytest.mark.django_db


def test_citizen_id_unique_when_present(tree):
    first = admit(tree.cell_a, d("2022-03-01"), citizen_id="092085001234")
    second = admit(tree.cell_a, d("2022-03-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=second.pk).update(citizen_id=first.citizen_id)
    # The service refuses it too, before the database does.
    with pytest.raises(ValidationError), transaction.atomic():
        admit(tree.cell_a, d("2022-03-01"), citizen_id="092085001234")
    assert Member.objects.filter(citizen_id="092085001234").count() == 1


def test_two_blank_citizen_ids_and_party_cards_are_allowed(tree):
    admit(tree.cell_a, d("2022-03-01"))
    admit(tree.cell_a, d("2022-03-01"))
    assert Member.objects.filter(citizen_id="", party_card_no="").count() == 2


def test_party_card_unique_when_present(tree):
    first = admit(tree.cell_a, d("2022-03-01"), party_card_no="92.012345")
    second = admit(tree.cell_a, d("2022-03-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=second.pk).update(party_card_no=first.party_card_no)


@pytest.mark.parametrize("value", ["123", "09208500123X", "09208500123 "])
def test_citizen_id_is_12_digits_in_the_database(tree, value):
    member = admit(tree.cell_a, d("2022-03-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(citizen_id=value)
    Member.objects.filter(pk=member.pk).update(citizen_id="092085001234")  # the valid form passes


def test_citizen_id_is_validated_by_the_service(tree):
    with pytest.raises(ValidationError) as info:
        member_admit(
            member=new_person(citizen_id="12345"),
            unit=tree.cell_a,
            decision=make_decision(d("2022-03-01")),
            ceremony_date=d("2022-03-01"),
        )
    assert "citizen_id" in info.value.message_dict
    assert not Member.objects.exists()


def test_a_records_validation_asks_the_database_only_about_its_unique_numbers(tree):
    """``full_clean`` validates the unique citizen ID and party card (one query each, in a
    savepoint of its own); the check constraints stand guard in the database alone (the
    tests around this one)."""
    member = new_person(citizen_id="092085001234", party_card_no="92.012345")
    member.status, member.unit, member.record_unit = Status.PROBATIONARY, tree.cell_a, tree.cell_a
    member.admitted_on = d("2022-03-01")
    with CaptureQueriesContext(connection) as captured:
        member.full_clean(exclude=["unit", "record_unit"])  # their checks are their own
    asked = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(asked) == 2
    assert "citizen_id" in asked[0]
    assert "party_card_no" in asked[1]


def test_a_record_that_breaks_a_check_constraint_is_still_refused_by_the_database(tree):
    member = admit(tree.cell_a, d("2022-03-01"))
    member.recognized_on = d("2021-01-01")  # before the admission
    member.full_clean()  # not validated in Python (the services refuse it first)
    with pytest.raises(IntegrityError), transaction.atomic():
        member.save()


def test_member_on_a_roll_exactly_while_active(tree):
    member = admit(tree.cell_a, d("2022-03-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(status=Status.REMOVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(unit=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(status="gone")
    Member.objects.filter(pk=member.pk).update(status=Status.REMOVED, unit=None)


def test_recognized_on_or_after_admission(tree):
    member = admit(tree.cell_a, d("2022-03-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(recognized_on=d("2022-02-28"))
    Member.objects.filter(pk=member.pk).update(recognized_on=d("2022-03-01"))


def test_one_open_membership_per_member(tree):
    member = admit(tree.cell_a, d("2022-03-01"))
    start_event = member.events.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            member=member, unit=tree.cell_b, start_date=d("2022-04-01"), start_event=start_event
        )
    # A closed period beside the open one is fine.
    Membership.objects.create(
        member=member,
        unit=tree.cell_b,
        start_date=d("2022-04-01"),
        end_date=d("2022-05-01"),
        start_event=start_event,
        end_event=start_event,
    )


def test_membership_end_needs_its_event_and_order(tree):
    member = admit(tree.cell_a, d("2022-03-01"))
    period = Membership.objects.get(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=period.pk).update(end_date=d("2022-05-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=period.pk).update(
            end_date=d("2022-02-01"), end_event=period.start_event
        )


def _event(member: Member, unit, **fields) -> Event:
    """A valid event of ``kind`` (an exemption by default), to be spoiled by ``fields``."""
    values = dict(
        member=member,
        unit=unit,
        kind=K.EXEMPTION,
        effective_date=d("2022-06-01"),
        decision_no="9-QĐ/ĐU",
        decision_date=d("2022-06-01"),
    )
    values.update(fields)
    return Event(**values)


ADMISSION = dict(kind=K.ADMISSION, ceremony_date=d("2022-06-01"))
SPOILED_EVENTS = {
    "admission decided on another day": {**ADMISSION, "decision_date": d("2022-05-31")},
    "admission without a ceremony": {**ADMISSION, "ceremony_date": None},
    "ceremony before the decision": {**ADMISSION, "ceremony_date": d("2022-05-31")},
    "ceremony on an exemption": {"ceremony_date": d("2022-06-01")},
    "no decision number": {"decision_no": ""},
    "no decision date": {"decision_date": None},
    "decided after it took effect": {"decision_date": d("2022-06-02")},
    "removal without a reason": {"kind": K.STRUCK_OFF},
    "reason on a non-removal": {"reason": Event.Reason.OTHER},
    "discipline on a striking off": {"kind": K.STRUCK_OFF, "reason": Event.Reason.DISCIPLINE},
    "transfer without the other end": {"kind": K.TRANSFER_OUT},
    "other end on a non-transfer": {"other_unit_name": "Đảng bộ huyện Vĩnh Thạnh"},
    "probationary on a removal": {
        "kind": K.STRUCK_OFF,
        "reason": Event.Reason.OTHER,
        "probationary": True,
    },
    "unknown kind": {"kind": "promotion"},
}
VALID_EVENTS = {
    "exemption": {},
    "admission": ADMISSION,
    "death without a decision": {"kind": K.DEATH, "decision_no": "", "decision_date": None},
    "death notice after the death": {"kind": K.DEATH, "decision_date": d("2022-06-20")},
    "expulsion for discipline": {"kind": K.EXPELLED, "reason": Event.Reason.DISCIPLINE},
    "transfer out": {"kind": K.TRANSFER_OUT, "other_unit_name": "Đảng bộ huyện Vĩnh Thạnh"},
    "probationary transfer in": {
        "kind": K.TRANSFER_IN,
        "other_unit_name": "Đảng bộ huyện Vĩnh Thạnh",
        "probationary": True,
    },
}


@pytest.mark.parametrize("spoil", SPOILED_EVENTS)
def test_event_constraints_refuse_bulk_inserts(tree, spoil):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    count = Event.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.bulk_create([_event(member, tree.cell_a, **SPOILED_EVENTS[spoil])])
    assert Event.objects.count() == count


@pytest.mark.parametrize("valid", VALID_EVENTS)
def test_event_constraints_accept_well_formed_events(tree, valid):
    """The counterpart of the refusals above: the same base event passes when not spoiled."""
    member = admit_official(tree.cell_a, d("2020-03-01"))
    count = Event.objects.count()
    Event.objects.bulk_create([_event(member, tree.cell_a, **VALID_EVENTS[valid])])
    assert Event.objects.count() == count + 1
