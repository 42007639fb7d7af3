"""members.services: each rule refused (a keyed ValidationError, nothing written); happy paths."""

from __future__ import annotations

import contextlib
import datetime
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from branches.models import Unit
from branches.services import unit_create, unit_dissolve
from members.models import Event, Member, Membership, Status
from members.services import (
    Decision,
    member_admit,
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
    recognition_deadlines,
)
from tests.conftest import (
    admit,
    admit_official,
    d,
    error_keys,
    make_decision,
    new_person,
    nothing_written,
)

K = Event.Kind
R = Event.Reason

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def refused(field: str | None = None, match: str | None = None):
    """Expect a ValidationError keyed to ``field`` (or whose text contains ``match``), and that
    nothing was written."""
    with nothing_written(), pytest.raises(ValidationError) as info:
        yield info
    if field is not None:
        assert field in error_keys(info.value), info.value
    if match is not None:
        assert str(match) in " ".join(info.value.messages), info.value.messages


def strike_off(member: Member, on: datetime.date, reason: str = R.UNPAID_DUES) -> Event:
    return member_remove(
        member=member,
        kind=K.STRUCK_OFF,
        reason=reason,
        effective_date=on,
        decision=make_decision(on),
    )


def readmit(member: Member, unit: Unit, on: datetime.date, **kwargs) -> Event:
    kwargs.setdefault("consent", make_decision(on, number="1250-CV/TU"))
    return member_readmit(
        member=member, unit=unit, decision=make_decision(on), ceremony_date=on, **kwargs
    )


# --- admission ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        (d("2004-03-11"), False),  # 17 on 10/03/2022: turns 18 the next day
        (d("2004-03-10"), True),  # 18 on the day
        (d("1962-03-10"), True),  # 60 on the day
        (d("1961-03-11"), True),  # still 60: turns 61 the next day
        (d("1961-03-10"), False),  # 61 on the day
    ],
)
def test_admission_age_is_18_to_60_on_the_decision_date(tree, born, accepted):
    member = new_person(born=born)
    decision = make_decision(d("2022-03-10"))
    if accepted:
        member_admit(
            member=member, unit=tree.cell_a, decision=decision, ceremony_date=d("2022-03-20")
        )
        assert Member.objects.get(pk=member.pk).status == Status.PROBATIONARY
    else:
        with refused("date_of_birth"):
            member_admit(
                member=member, unit=tree.cell_a, decision=decision, ceremony_date=d("2022-03-20")
            )
        assert not Member.objects.exists()


def test_admission_age_is_judged_on_the_decision_date_not_the_ceremony(tree):
    # 17 on the decision date, 18 by the ceremony: refused.
    member = new_person(born=d("2004-03-15"))
    with refused("date_of_birth"):
        member_admit(
            member=member,
            unit=tree.cell_a,
            decision=make_decision(d("2022-03-10")),
            ceremony_date=d("2022-03-20"),
        )


def test_admission_needs_a_decision_number(tree):
    with refused("decision_no"):
        member_admit(
            member=new_person(),
            unit=tree.cell_a,
            decision=make_decision(d("2022-03-10"), number="  "),
            ceremony_date=d("2022-03-10"),
        )


def test_admission_needs_a_decision_date(tree):
    with refused("decision_date"):
        member_admit(
            member=new_person(),
            unit=tree.cell_a,
            decision=Decision(number="1-QĐ/ĐU", date=None),
            ceremony_date=d("2022-03-10"),
        )


def test_admission_ceremony_before_the_decision_is_refused(tree):
    with refused("ceremony_date"):
        member_admit(
            member=new_person(),
            unit=tree.cell_a,
            decision=make_decision(d("2022-03-10")),
            ceremony_date=d("2022-03-09"),
        )


def test_admission_only_to_a_unit_that_holds_members(tree):
    for unit in (tree.gc, tree.root):
        with refused("unit"):
            admit(unit, d("2022-03-10"))


def test_admission_to_a_grassroots_cell_is_accepted(tree):
    member = admit(tree.gcell, d("2022-03-10"))
    assert Member.objects.get(pk=member.pk).unit == tree.gcell


def test_admission_of_an_existing_record_is_refused(tree):
    member = admit(tree.cell_a, d("2022-03-10"))
    with refused(match="kết nạp lại"):
        member_admit(
            member=member,
            unit=tree.cell_a,
            decision=make_decision(d("2022-04-10")),
            ceremony_date=d("2022-04-10"),
        )


def test_admission_creates_member_event_and_open_period(tree, directive28):
    member = new_person()
    event = member_admit(
        member=member,
        unit=tree.cell_a,
        decision=make_decision(d("2022-03-10"), directive=directive28, number=" 12-QĐ/ĐU "),
        ceremony_date=d("2022-03-20"),
        sponsors=" Trần Văn A, Lê Thị B ",
    )
    member = Member.objects.get(pk=member.pk)
    assert member.status == Status.PROBATIONARY
    assert member.unit == tree.cell_a
    assert member.admitted_on == d("2022-03-10")
    assert member.recognized_on is None
    event = Event.objects.get(pk=event.pk)
    assert (event.member, event.kind, event.unit) == (member, K.ADMISSION, tree.cell_a)
    assert event.effective_date == event.decision_date == d("2022-03-10")
    assert event.ceremony_date == d("2022-03-20")
    assert event.decision_no == "12-QĐ/ĐU"
    assert event.sponsors == "Trần Văn A, Lê Thị B"
    assert event.directive == directive28
    period = Membership.objects.get(member=member)
    assert (period.unit, period.start_date, period.end_date) == (tree.cell_a, d("2022-03-10"), None)
    assert period.start_event == event


# --- recognition -------------------------------------------------------------------------------


def test_recognition_the_day_before_twelve_months_is_refused(tree):
    member = admit(tree.cell_a, d("2022-03-01"), ceremony=d("2022-03-10"))
    with refused("effective_date"):
        member_recognize(
            member=member, effective_date=d("2023-03-09"), decision=make_decision(d("2023-03-09"))
        )
    member_recognize(
        member=member, effective_date=d("2023-03-10"), decision=make_decision(d("2023-03-10"))
    )
    member.refresh_from_db()
    assert member.status == Status.OFFICIAL
    assert member.recognized_on == d("2023-03-10")


def test_recognition_after_a_29_february_ceremony(tree):
    member = admit(tree.cell_a, d("2024-02-20"), ceremony=d("2024-02-29"))
    with refused("effective_date"):
        member_recognize(
            member=member, effective_date=d("2025-02-27"), decision=make_decision(d("2025-02-27"))
        )
    # 12 months from 29/02 end on the last day of February.
    member_recognize(
        member=member, effective_date=d("2025-02-28"), decision=make_decision(d("2025-02-28"))
    )
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL


def test_recognition_counts_from_the_ceremony_not_the_decision(tree):
    member = admit(tree.cell_a, d("2022-03-01"), ceremony=d("2022-04-01"))
    with refused("effective_date"):
        member_recognize(
            member=member, effective_date=d("2023-03-01"), decision=make_decision(d("2023-03-01"))
        )


def test_recognition_only_of_a_probationary_member(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused(match="dự bị"):
        member_recognize(
            member=member, effective_date=d("2022-03-01"), decision=make_decision(d("2022-03-01"))
        )


def test_recognition_needs_a_decision(tree):
    member = admit(tree.cell_a, d("2020-03-01"))
    with refused("decision_no"):
        member_recognize(
            member=member,
            effective_date=d("2022-03-01"),
            decision=make_decision(d("2022-03-01"), number=""),
        )


def test_decision_dated_after_the_effective_date_is_refused(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("decision_date"):
        member_remove(
            member=member,
            kind=K.STRUCK_OFF,
            reason=R.UNPAID_DUES,
            effective_date=d("2022-03-01"),
            decision=make_decision(d("2022-03-02")),
        )


def test_recognition_is_official_from_the_end_of_probation_decided_later(tree):
    # "decided 10/06/2024, official from 20/05/2024" (R8).
    member = admit(tree.cell_a, d("2023-05-10"), ceremony=d("2023-05-20"))
    member_recognize(
        member=member,
        effective_date=d("2024-05-20"),
        resolution_date=d("2024-06-03"),
        decision=make_decision(d("2024-06-10")),
    )
    member.refresh_from_db()
    event = member.events.get(kind=K.RECOGNITION)
    assert (member.status, member.recognized_on) == (Status.OFFICIAL, d("2024-05-20"))
    assert (event.decision_date, event.resolution_date) == (d("2024-06-10"), d("2024-06-03"))


def test_recognition_dated_after_the_end_of_probation_is_refused(tree):
    member = admit(tree.cell_a, d("2023-05-10"), ceremony=d("2023-05-20"))
    with refused("effective_date", match="20/05/2024"):
        member_recognize(
            member=member, effective_date=d("2024-06-10"), decision=make_decision(d("2024-06-10"))
        )


def test_recognition_decided_before_the_end_of_probation_is_refused(tree):
    member = admit(tree.cell_a, d("2023-05-10"), ceremony=d("2023-05-20"))
    with refused("decision_date"):
        member_recognize(
            member=member, effective_date=d("2024-05-20"), decision=make_decision(d("2024-05-19"))
        )


def test_recognition_resolution_between_the_end_and_the_decision(tree):
    member = admit(tree.cell_a, d("2023-05-10"), ceremony=d("2023-05-20"))
    for resolution in (d("2024-05-19"), d("2024-06-11")):
        with refused("resolution_date"):
            member_recognize(
                member=member,
                effective_date=d("2024-05-20"),
                resolution_date=resolution,
                decision=make_decision(d("2024-06-10")),
            )


def test_recognition_deadlines_of_the_cell_and_the_committee():
    # 20/05/2024 is a Monday: 30 working days later is Monday 01/07/2024.
    deadlines = recognition_deadlines(d("2024-05-20"), d("2024-06-03"))
    assert deadlines == {"cell": d("2024-07-01"), "committee": d("2024-07-15")}
    assert recognition_deadlines(d("2024-05-20"))["committee"] is None


# --- removal -----------------------------------------------------------------------------------


def test_expulsion_of_a_probationary_member_is_refused(tree):
    member = admit(tree.cell_a, d("2022-03-01"))
    with refused("kind"):
        member_remove(
            member=member,
            kind=K.EXPELLED,
            reason=R.DISCIPLINE,
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )


def test_expulsion_of_an_official_member(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    member_remove(
        member=member,
        kind=K.EXPELLED,
        reason=R.DISCIPLINE,
        effective_date=d("2022-06-01"),
        decision=make_decision(d("2022-06-01")),
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.REMOVED, None)
    assert Membership.objects.get(member=member).end_date == d("2022-06-01")


def test_removal_needs_a_reason(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("reason"):
        member_remove(
            member=member,
            kind=K.STRUCK_OFF,
            reason="",
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )


def test_removal_kind_must_be_a_removal(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("kind"):
        member_remove(
            member=member,
            kind=K.DEATH,
            reason=R.OTHER,
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )


@pytest.mark.parametrize("kind", [K.STRUCK_OFF, K.DISCHARGED])
def test_discipline_reason_only_with_expulsion(tree, kind):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("reason"):
        member_remove(
            member=member,
            kind=kind,
            reason=R.DISCIPLINE,
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )


def test_expulsion_needs_the_discipline_reason(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("reason"):
        member_remove(
            member=member,
            kind=K.EXPELLED,
            reason=R.SCREENING,
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )


def test_removal_needs_a_decision(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("decision_date"):
        member_remove(
            member=member,
            kind=K.DISCHARGED,
            reason=R.ON_REQUEST,
            effective_date=d("2022-06-01"),
            decision=Decision(number="5-QĐ/ĐU"),
            standards_kept=True,
        )


# --- nothing happens to a removed or dead member -----------------------------------------------


def _removed(tree) -> Member:
    member = admit_official(tree.cell_a, d("2020-03-01"))
    strike_off(member, d("2022-01-10"))
    return member


def _dead(tree) -> Member:
    member = admit_official(tree.cell_a, d("2020-03-01"))
    member_record_death(member=member, effective_date=d("2022-01-10"))
    return member


ON = d("2022-06-01")

EVENTS_ON_ACTIVE_ONLY = {
    "transfer": lambda m, t: member_transfer(
        member=m, to_unit=t.cell_b, effective_date=ON, decision=make_decision(ON)
    ),
    "transfer_out": lambda m, t: member_transfer_out(
        member=m,
        destination="Đảng bộ huyện Vĩnh Thạnh",
        effective_date=ON,
        decision=make_decision(ON),
    ),
    "temporary_transfer": lambda m, t: member_temporary_transfer(
        member=m, destination="Đảng bộ xã Tân Lộc", effective_date=ON, decision=make_decision(ON)
    ),
    "removal": lambda m, t: member_remove(
        member=m,
        kind=K.DISCHARGED,
        reason=R.ON_REQUEST,
        effective_date=ON,
        decision=make_decision(ON),
        standards_kept=True,
    ),
    "death": lambda m, t: member_record_death(member=m, effective_date=ON),
    "exemption": lambda m, t: member_exempt(
        member=m, effective_date=ON, decision=make_decision(ON), poor_health=True, on_request=True
    ),
    "recognition": lambda m, t: member_recognize(
        member=m, effective_date=ON, decision=make_decision(ON)
    ),
}


@pytest.mark.parametrize("make_member", [_removed, _dead], ids=["removed", "dead"])
@pytest.mark.parametrize("event", EVENTS_ON_ACTIVE_ONLY)
def test_no_event_on_a_removed_or_dead_member(tree, make_member, event):
    member = make_member(tree)
    status = Member.objects.get(pk=member.pk).status
    with refused(match=Status(status).label):
        EVENTS_ON_ACTIVE_ONLY[event](member, tree)


# --- re-admission ------------------------------------------------------------------------------


def test_readmission_of_an_active_member_is_refused(tree):
    member = admit_official(tree.cell_a, d("2015-03-01"))
    with refused(match="Chỉ kết nạp lại"):
        readmit(member, tree.cell_a, d("2022-03-01"))


def test_readmission_of_a_dead_member_is_refused(tree):
    member = _dead(tree)
    with refused(match="Chỉ kết nạp lại"):
        readmit(member, tree.cell_a, d("2026-03-01"))


def test_readmission_36_months_after_leaving(tree):
    member = admit_official(tree.cell_a, d("2015-03-01"))
    strike_off(member, d("2019-03-10"))
    with refused("decision_date"):
        readmit(member, tree.cell_b, d("2022-03-09"))
    event = readmit(member, tree.cell_b, d("2022-03-10"))
    member.refresh_from_db()
    assert event.kind == K.READMISSION
    assert (member.status, member.unit) == (Status.PROBATIONARY, tree.cell_b)
    # The first admission stays the record's date of admission (R15).
    assert (member.admitted_on, member.recognized_on) == (d("2015-03-01"), None)
    periods = list(Membership.objects.filter(member=member).order_by("start_date"))
    assert [(p.unit, p.start_date, p.end_date) for p in periods] == [
        (tree.cell_a, d("2015-03-01"), d("2019-03-10")),
        (tree.cell_b, d("2022-03-10"), None),
    ]


def test_readmission_once_only(tree):
    member = admit_official(tree.cell_a, d("2012-03-01"))
    strike_off(member, d("2014-03-10"))
    readmit(member, tree.cell_a, d("2017-03-10"))
    strike_off(member, d("2018-03-10"))
    with refused(match="một lần"):
        readmit(member, tree.cell_a, d("2022-03-10"))


@pytest.mark.parametrize(
    ("kind", "reason", "accepted"),
    [
        (K.STRUCK_OFF, R.QUIT_ACTIVITIES, False),
        (K.DISCHARGED, R.ON_REQUEST, False),
        (K.STRUCK_OFF, R.UNPAID_DUES, True),
        (K.DISCHARGED, R.ON_REQUEST_HARDSHIP, True),
        (K.EXPELLED, R.DISCIPLINE, True),
        (K.EXPELLED, R.DISUNITY, False),
        (K.EXPELLED, R.CORRUPTION_CONVICTION, False),
        (K.EXPELLED, R.SERIOUS_CRIME_CONVICTION, False),
    ],
)
def test_readmission_never_after_quitting_or_asking_to_leave(tree, kind, reason, accepted):
    member = admit_official(tree.cell_a, d("2015-03-01"))
    member_remove(
        member=member,
        kind=kind,
        reason=reason,
        effective_date=d("2018-03-10"),
        decision=make_decision(d("2018-03-10")),
        standards_kept=True,
    )
    if accepted:
        readmit(member, tree.cell_a, d("2022-03-10"))
        assert Member.objects.get(pk=member.pk).status == Status.PROBATIONARY
    else:
        with refused(match=R(reason).label):
            readmit(member, tree.cell_a, d("2022-03-10"))


def test_readmission_checks_the_age(tree):
    member = admit_official(tree.cell_a, d("2015-03-01"), born=d("1958-01-01"))
    strike_off(member, d("2016-03-10"))
    with refused("date_of_birth"):
        readmit(member, tree.cell_a, d("2020-03-10"))  # 62


# --- restoration -------------------------------------------------------------------------------


def test_restoration_only_of_a_removed_member(tree):
    active = admit_official(tree.cell_a, d("2015-03-01"))
    dead = _dead(tree)
    for member in (active, dead):
        with refused(match="Chỉ phục hồi"):
            member_restore(
                member=member, unit=tree.cell_a, effective_date=ON, decision=make_decision(ON)
            )


def test_restoration_of_an_official_member_keeps_them_official(tree):
    member = admit_official(tree.cell_a, d("2015-03-01"))
    member_remove(
        member=member,
        kind=K.EXPELLED,
        reason=R.DISCIPLINE,
        effective_date=d("2021-03-10"),
        decision=make_decision(d("2021-03-10")),
    )
    event = member_restore(
        member=member, unit=tree.cell_b, effective_date=ON, decision=make_decision(ON)
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, tree.cell_b)
    assert member.recognized_on == d("2016-03-01")
    assert event.probationary is False
    assert Membership.objects.get(member=member, end_date__isnull=True).unit == tree.cell_b


def test_restoration_of_a_probationary_member_keeps_them_probationary(tree):
    member = admit(tree.cell_a, d("2021-03-01"))
    strike_off(member, d("2021-09-10"), reason=R.QUIT_ACTIVITIES)
    event = member_restore(
        member=member, unit=tree.cell_a, effective_date=ON, decision=make_decision(ON)
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.PROBATIONARY, tree.cell_a)
    assert event.probationary is True


def test_restoration_to_a_unit_that_holds_no_members_is_refused(tree):
    member = _removed(tree)
    with refused("unit"):
        member_restore(member=member, unit=tree.gc, effective_date=ON, decision=make_decision(ON))


# --- dates in order ----------------------------------------------------------------------------


def test_event_before_the_members_last_event_is_refused(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))  # recognized 01/03/2021
    member_temporary_transfer(
        member=member,
        destination="Đảng bộ xã Tân Lộc",
        effective_date=ON,
        decision=make_decision(ON),
    )
    before = ON - datetime.timedelta(days=1)
    with refused("effective_date"):
        member_transfer(
            member=member,
            to_unit=tree.cell_b,
            effective_date=before,
            decision=make_decision(before),
        )
    with refused("effective_date"):
        member_record_death(member=member, effective_date=before)
    # The same day as the last event is in order.
    member_record_death(member=member, effective_date=ON)


# --- transfers ---------------------------------------------------------------------------------


def test_transfer_to_a_grassroots_committee_is_refused(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("to_unit"):
        member_transfer(
            member=member, to_unit=tree.gc, effective_date=ON, decision=make_decision(ON)
        )


def test_transfer_to_the_same_cell_is_refused(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("to_unit"):
        member_transfer(
            member=member, to_unit=tree.cell_a, effective_date=ON, decision=make_decision(ON)
        )


def test_transfer_only_to_a_cell_existing_on_the_date(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    new_cell = unit_create(
        code="long-thanh-3",
        name="Chi bộ khu vực Long Thạnh 3",
        kind=Unit.Kind.CELL,
        founded_on=d("2022-07-01"),
        parent=tree.gc,
    )
    old_cell = unit_create(
        code="long-thanh-cu",
        name="Chi bộ khu vực Long Thạnh cũ",
        kind=Unit.Kind.CELL,
        founded_on=d("2012-01-01"),
        parent=tree.gc,
    )
    unit_dissolve(unit=old_cell, on=d("2022-05-01"))
    old_cell.refresh_from_db()  # the services judge the unit object they are given
    for to_unit, day in ((new_cell, d("2022-06-30")), (old_cell, d("2022-05-01"))):
        with refused("to_unit"):
            member_transfer(
                member=member, to_unit=to_unit, effective_date=day, decision=make_decision(day)
            )
    # Founding day and the day before dissolution are inside the units' lives.
    member_transfer(
        member=member,
        to_unit=new_cell,
        effective_date=d("2022-07-01"),
        decision=make_decision(d("2022-07-01")),
    )
    assert Member.objects.get(pk=member.pk).unit == new_cell


def test_transfer_closes_one_period_and_opens_another(tree):
    member = admit(tree.cell_a, d("2022-01-10"))
    out, arrival = member_transfer(
        member=member, to_unit=tree.gcell, effective_date=ON, decision=make_decision(ON)
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.PROBATIONARY, tree.gcell)
    assert (out.kind, out.unit, out.other_unit) == (K.TRANSFER_OUT, tree.cell_a, tree.gcell)
    assert (arrival.kind, arrival.unit, arrival.other_unit) == (
        K.TRANSFER_IN,
        tree.gcell,
        tree.cell_a,
    )
    assert arrival.probationary is True
    assert out.decision_no == arrival.decision_no
    periods = list(Membership.objects.filter(member=member).order_by("start_date", "pk"))
    assert [(p.unit, p.start_date, p.end_date, p.end_event) for p in periods] == [
        (tree.cell_a, d("2022-01-10"), ON, out),
        (tree.gcell, ON, None, None),
    ]
    assert periods[1].start_event == arrival


def test_transfer_in_of_a_new_official_member_needs_both_dates(tree):
    common = dict(
        unit=tree.cell_a,
        origin="Đảng bộ huyện Vĩnh Thạnh",
        effective_date=ON,
        decision=make_decision(ON),
    )
    with refused("admitted_on"):
        member_transfer_in(
            member=new_person(recognized_on=d("2019-01-01")), probationary=False, **common
        )
    with refused("recognized_on"):
        member_transfer_in(
            member=new_person(admitted_on=d("2018-01-01")), probationary=False, **common
        )
    with refused("recognized_on"):
        member_transfer_in(
            member=new_person(admitted_on=d("2018-01-01"), recognized_on=d("2019-01-01")),
            probationary=True,
            **common,
        )
    with refused("admitted_on"):
        member_transfer_in(
            member=new_person(admitted_on=d("2022-06-02")), probationary=True, **common
        )
    with refused("origin"):
        member_transfer_in(
            member=new_person(admitted_on=d("2018-01-01")),
            probationary=True,
            **{**common, "origin": " "},
        )


@pytest.mark.parametrize("probationary", [False, True])
def test_transfer_in_from_outside_creates_the_record(tree, probationary):
    member = new_person(
        admitted_on=d("2021-09-01"), recognized_on=None if probationary else d("2022-05-01")
    )
    event = member_transfer_in(
        member=member,
        unit=tree.cell_b,
        origin="Đảng bộ huyện Vĩnh Thạnh",
        effective_date=ON,
        decision=make_decision(ON),
        probationary=probationary,
    )
    member = Member.objects.get(pk=member.pk)
    expected = Status.PROBATIONARY if probationary else Status.OFFICIAL
    assert (member.status, member.unit) == (expected, tree.cell_b)
    assert (event.kind, event.other_unit_name, event.probationary) == (
        K.TRANSFER_IN,
        "Đảng bộ huyện Vĩnh Thạnh",
        probationary,
    )
    period = Membership.objects.get(member=member)
    assert (period.unit, period.start_date, period.end_date) == (tree.cell_b, ON, None)


def test_transfer_out_then_back_in(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    out = member_transfer_out(
        member=member,
        destination="Đảng bộ Khối Doanh nghiệp tỉnh",
        effective_date=d("2021-01-15"),
        decision=make_decision(d("2021-01-15")),
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.TRANSFERRED_OUT, None)
    assert out.other_unit_name == "Đảng bộ Khối Doanh nghiệp tỉnh"
    assert not Membership.objects.filter(member=member, end_date__isnull=True).exists()
    # Back as what they are (official): claiming probation is refused.
    with refused("probationary"):
        member_transfer_in(
            member=member,
            unit=tree.cell_b,
            origin="Đảng bộ Khối Doanh nghiệp tỉnh",
            effective_date=ON,
            decision=make_decision(ON),
            probationary=True,
        )
    member_transfer_in(
        member=member,
        unit=tree.cell_b,
        origin="Đảng bộ Khối Doanh nghiệp tỉnh",
        effective_date=ON,
        decision=make_decision(ON),
        probationary=False,
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, tree.cell_b)
    periods = Membership.objects.filter(member=member).order_by("start_date")
    assert [(p.unit, p.start_date, p.end_date) for p in periods] == [
        (tree.cell_a, d("2018-03-01"), d("2021-01-15")),
        (tree.cell_b, ON, None),
    ]


def test_transfer_in_of_a_member_still_on_a_roll_is_refused(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    with refused(match="Chỉ tiếp nhận lại"):
        member_transfer_in(
            member=member,
            unit=tree.cell_b,
            origin="Đảng bộ huyện Vĩnh Thạnh",
            effective_date=ON,
            decision=make_decision(ON),
            probationary=False,
        )


def test_transfer_out_needs_a_destination(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    with refused("destination"):
        member_transfer_out(
            member=member, destination=" ", effective_date=ON, decision=make_decision(ON)
        )


def test_temporary_transfer_keeps_the_member_on_the_home_roll(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    with refused("destination"):
        member_temporary_transfer(member=member, effective_date=ON, decision=make_decision(ON))
    with refused("to_unit"):
        member_temporary_transfer(
            member=member, to_unit=tree.gc, effective_date=ON, decision=make_decision(ON)
        )
    event = member_temporary_transfer(
        member=member, to_unit=tree.gcell, effective_date=ON, decision=make_decision(ON)
    )
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, tree.cell_a)
    assert (event.unit, event.other_unit) == (tree.cell_a, tree.gcell)
    assert Membership.objects.get(member=member).end_date is None


# --- death and exemption -----------------------------------------------------------------------


def test_death_needs_no_decision_and_closes_the_period(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    event = member_record_death(member=member, effective_date=ON)
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.DEAD, None)
    assert (event.decision_no, event.decision_date) == ("", None)
    assert Membership.objects.get(member=member).end_event == event


def test_a_death_notice_may_be_dated_after_the_death(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"))
    notice = make_decision(ON + datetime.timedelta(days=5))
    event = member_record_death(member=member, effective_date=ON, decision=notice)
    assert (event.effective_date, event.decision_date) == (ON, notice.date)
    assert Membership.objects.get(member=member).end_date == ON


def test_exemption_keeps_the_member(tree):
    member = admit_official(tree.cell_a, d("2018-03-01"), born=d("1960-01-01"))
    grounds = {"poor_health": True, "on_request": True}
    with refused("decision_no"):
        member_exempt(
            member=member, effective_date=ON, decision=make_decision(ON, number=""), **grounds
        )
    member_exempt(member=member, effective_date=ON, decision=make_decision(ON), **grounds)
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, tree.cell_a)
    assert Membership.objects.get(member=member).end_date is None


# --- what the services read is the committed row, and a failed creation leaves no trace ---


def test_admission_into_a_cell_dissolved_meanwhile_is_refused_even_with_a_stale_object(tree):
    stale = Unit.objects.get(pk=tree.cell_b.pk)
    unit_dissolve(unit=tree.cell_b, on=d("2022-06-01"))
    assert stale.dissolved_on is None  # the caller's copy does not know
    with nothing_written(), pytest.raises(ValidationError) as refused:
        admit(stale, d("2022-05-01"))
    assert error_keys(refused.value) == {"unit"}


def test_a_failed_admission_leaves_the_instance_unsaved_so_it_can_be_retried(tree):
    person = new_person()
    too_long = make_decision(d("2022-05-01"), number="x" * 60)  # over the field's 50
    with nothing_written(), pytest.raises(ValidationError):
        member_admit(
            member=person, unit=tree.cell_a, decision=too_long, ceremony_date=d("2022-05-01")
        )
    assert person.pk is None
    member_admit(
        member=person,
        unit=tree.cell_a,
        decision=make_decision(d("2022-05-01")),
        ceremony_date=d("2022-05-01"),
    )
    assert Member.objects.filter(pk=person.pk, status=Status.PROBATIONARY).exists()


def test_transfer_in_refuses_a_recognition_dated_after_the_arrival(tree):
    person = new_person(admitted_on=d("2021-01-10"), recognized_on=d("2023-01-01"))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        member_transfer_in(
            member=person,
            unit=tree.cell_a,
            origin="Tỉnh ủy An Giang",
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
            probationary=False,
        )
    assert error_keys(refused.value) == {"recognized_on"}


# --- issue 24: removal kinds and their reasons (R10-R13), re-admission (R14) ----------------------


@pytest.mark.parametrize(
    ("kind", "reason", "accepted"),
    [
        (K.STRUCK_OFF, R.UNPAID_DUES, True),
        (K.STRUCK_OFF, R.CARD_RETURNED, True),
        (K.STRUCK_OFF, R.POLITICAL_STANDARDS, True),
        (K.STRUCK_OFF, R.ON_REQUEST, False),  # asking to leave is a discharge
        (K.STRUCK_OFF, R.OTHER, False),  # no ground of R12
        (K.DISCHARGED, R.ON_REQUEST, True),
        (K.DISCHARGED, R.UNPAID_DUES, False),  # discharge answers an application only
        (K.DISCHARGED, R.SCREENING, False),
        (K.EXPELLED, R.CORRUPTION_CONVICTION, True),
        (K.EXPELLED, R.QUIT_ACTIVITIES, False),
    ],
)
def test_each_removal_kind_takes_its_own_reasons(tree, kind, reason, accepted):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    remove = partial(
        member_remove,
        member=member,
        kind=kind,
        reason=reason,
        effective_date=d("2022-06-01"),
        decision=make_decision(d("2022-06-01")),
        standards_kept=True,
    )
    if accepted:
        remove()
        assert Member.objects.get(pk=member.pk).status == Status.REMOVED
    else:
        with refused("reason"):
            remove()


def test_failed_probation_only_for_a_probationer(tree):
    official = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("reason", match="dự bị"):
        member_remove(
            member=official,
            kind=K.STRUCK_OFF,
            reason=R.PROBATION_FAILED,
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )
    probationer = admit(tree.cell_a, d("2021-03-01"))
    member_remove(
        member=probationer,
        kind=K.STRUCK_OFF,
        reason=R.PROBATION_FAILED,
        effective_date=d("2022-03-10"),
        decision=make_decision(d("2022-03-10")),
    )


def test_discharge_only_for_a_member_who_kept_the_standards(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with refused("standards_kept"):
        member_remove(
            member=member,
            kind=K.DISCHARGED,
            reason=R.ON_REQUEST,
            effective_date=d("2022-06-01"),
            decision=make_decision(d("2022-06-01")),
        )


def expel(member: Member, reason: str, on: datetime.date) -> None:
    member_remove(
        member=member, kind=K.EXPELLED, reason=reason, effective_date=on, decision=make_decision(on)
    )


def test_readmission_needs_the_provinces_written_consent(tree):
    member = admit_official(tree.cell_a, d("2012-03-01"))
    strike_off(member, d("2015-03-10"))
    with refused("consent_no"):
        readmit(member, tree.cell_a, d("2019-03-10"), consent=None)
    with refused("consent_date"):
        readmit(member, tree.cell_a, d("2019-03-10"), consent=make_decision(d("2019-03-11")))
    event = readmit(member, tree.cell_a, d("2019-03-10"), consent=make_decision(d("2019-02-01")))
    assert (event.consent_date, event.consent_no != "") == (d("2019-02-01"), True)


def test_readmission_after_a_less_serious_crime_waits_60_months_after_the_record_is_cleared(tree):
    member = admit_official(tree.cell_a, d("2010-03-01"))
    expel(member, R.CRIME_CONVICTION, d("2014-03-10"))
    with refused("record_cleared_on"):
        readmit(member, tree.cell_a, d("2020-03-10"))
    with refused("decision_date", match="xóa án tích"):
        readmit(member, tree.cell_a, d("2020-03-10"), record_cleared_on=d("2016-01-01"))
    readmit(member, tree.cell_a, d("2021-01-01"), record_cleared_on=d("2016-01-01"))


def test_readmission_after_asking_to_leave_for_family_hardship(tree):
    member = admit_official(tree.cell_a, d("2012-03-01"))
    member_remove(
        member=member,
        kind=K.DISCHARGED,
        reason=R.ON_REQUEST_HARDSHIP,
        effective_date=d("2015-03-10"),
        decision=make_decision(d("2015-03-10")),
        standards_kept=True,
    )
    with refused("decision_date"):
        readmit(member, tree.cell_a, d("2018-03-09"))
    readmit(member, tree.cell_a, d("2018-03-10"))
