"""Mistakes prevented and put right (issue 25): no day after today, days typed four ways, no
directive pre-selected, and a mistaken event cancelled or corrected with a trace, the member's
state, rolls and reports recounted without it."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import forms
from members.models import Event, Member, Membership, Status
from members.services import (
    event_cancel,
    event_correct,
    member_record_death,
    member_remove,
    member_transfer,
)
from reports.figures import unit_figures
from reports.forms import DATE_FORMATS
from tests.conftest import admit, admit_official, d, error_keys, make_decision, nothing_written

K = Event.Kind
R = Event.Reason

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


# --- dates ------------------------------------------------------------------------------------


def test_a_death_dated_next_month_is_refused_by_the_service(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        member_record_death(member=member, effective_date=d("2027-01-08"))
    assert error_keys(refused.value) == {"effective_date"}


def test_a_decision_dated_tomorrow_is_refused_and_today_is_accepted(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    tomorrow = TODAY + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        member_remove(
            member=member,
            kind=K.STRUCK_OFF,
            reason=R.UNPAID_DUES,
            effective_date=tomorrow,
            decision=make_decision(tomorrow),
        )
    assert error_keys(refused.value) == {"effective_date", "decision_date"}
    # A decision may be recorded on the day it is signed.
    member_remove(
        member=member,
        kind=K.STRUCK_OFF,
        reason=R.UNPAID_DUES,
        effective_date=TODAY,
        decision=make_decision(TODAY),
    )
    assert Member.objects.get(pk=member.pk).status == Status.REMOVED


def test_a_future_day_is_refused_by_the_form_naming_the_field_as_labelled(cast):
    form = forms.DeathForm({"effective_date": "08/01/2027"}, user=cast.users.board)
    assert not form.is_valid()
    (message,) = form.errors["effective_date"]
    assert "“Ngày từ trần”" in message
    assert "08/01/2027" in message


@pytest.mark.parametrize("typed", ["05/06/2023", "5/6/2023", "05-06-2023", "05.06.2023"])
def test_days_are_read_in_the_four_ways_clerks_type_them(typed):
    assert forms.DayField().clean(typed) == d("2023-06-05")
    assert any(
        datetime.datetime.strptime(typed, f).date() == d("2023-06-05")
        for f in DATE_FORMATS
        if _parses(typed, f)
    )


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


# --- the directive ------------------------------------------------------------------------------


def test_no_directive_is_preselected_and_only_admission_and_removal_offer_one(cast):
    for form_class in (forms.RemoveForm, forms.MemberAdmitForm):
        form = form_class(user=cast.users.board)
        assert form["directive"].value() is None
        assert cast.directive in form.fields["directive"].queryset
    for form_class in (forms.DeathForm, forms.TransferForm, forms.ExemptForm):
        assert "directive" not in form_class(user=cast.users.board).fields


# --- cancelling ---------------------------------------------------------------------------------


def test_a_cancelled_death_puts_the_member_back_and_leaves_the_report(tree, django_user_model):
    clerk = django_user_model.objects.create_user("clerk")
    member = admit_official(tree.cell_a, d("2020-01-01"))
    death = member_record_death(member=member, effective_date=d("2026-03-01"))
    year = (d("2026-01-01"), d("2026-12-31"))
    before = unit_figures(tree.root, *year)
    assert (before.all_events.died, before.members_at_end) == (1, 0)

    event_cancel(event=death, reason="Ghi nhầm người", user=clerk)

    member.refresh_from_db()
    assert (member.status, member.unit_id) == (Status.OFFICIAL, tree.cell_a.pk)
    assert Membership.objects.get(member=member, end_date__isnull=True).unit == tree.cell_a
    after = unit_figures(tree.root, *year)
    assert (after.all_events.died, after.members_at_end) == (0, 1)
    assert after.balance_difference == 0
    death.refresh_from_db()
    assert (death.cancelled_by, death.cancellation_reason) == (clerk, "Ghi nhầm người")


def test_cancelling_twice_says_it_was_already_done(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    death = member_record_death(member=member, effective_date=d("2026-03-01"))
    event_cancel(event=death, reason="Ghi nhầm")
    with nothing_written(), pytest.raises(ValidationError) as refused:
        event_cancel(event=death, reason="Ghi nhầm")
    assert refused.value.code == "already"


def test_a_cancellation_that_breaks_the_history_is_refused(tree):
    member = admit(tree.cell_a, d("2020-01-01"))
    admission = member.events.get()
    member_record_death(member=member, effective_date=d("2021-03-01"))
    # Without its admission, the death follows nothing: refused like a new event would be.
    with nothing_written(), pytest.raises(ValidationError):
        event_cancel(event=admission, reason="Ghi nhầm")


def test_cancelling_an_internal_transfers_arrival_alone_is_refused(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    member_transfer(
        member=member,
        to_unit=tree.cell_b,
        effective_date=d("2022-01-01"),
        decision=make_decision(d("2022-01-01")),
    )
    arrival = member.events.get(kind=K.TRANSFER_IN)
    departure = member.events.get(kind=K.TRANSFER_OUT)
    event_cancel(event=arrival, reason="Ghi nhầm")  # leaves them transferred out: allowed
    member.refresh_from_db()
    assert member.status == Status.TRANSFERRED_OUT
    event_cancel(event=departure, reason="Ghi nhầm")
    member.refresh_from_db()
    assert (member.status, member.unit_id) == (Status.OFFICIAL, tree.cell_a.pk)


def test_a_cancellation_needs_a_reason_and_the_current_version(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    death = member_record_death(member=member, effective_date=d("2026-03-01"))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        event_cancel(event=death, reason="  ")
    assert error_keys(refused.value) == {"reason"}
    member.refresh_from_db()
    with nothing_written(), pytest.raises(ValidationError) as refused:
        event_cancel(event=death, reason="Ghi nhầm", version=member.version - 1)
    assert refused.value.code == "stale"


# --- correcting ---------------------------------------------------------------------------------


def test_a_corrected_removal_moves_in_the_report(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    removal = member_remove(
        member=member,
        kind=K.STRUCK_OFF,
        reason=R.UNPAID_DUES,
        effective_date=d("2025-12-20"),
        decision=make_decision(d("2025-12-20")),
    )
    assert unit_figures(tree.root, d("2025-01-01"), d("2025-12-31")).all_events.struck_off == 1
    event_correct(
        event=removal,
        reason="Gõ nhầm năm",
        changes={"effective_date": d("2026-01-05"), "decision_date": d("2026-01-05")},
    )
    assert unit_figures(tree.root, d("2025-01-01"), d("2025-12-31")).all_events.struck_off == 0
    assert unit_figures(tree.root, d("2026-01-01"), d("2026-12-31")).all_events.struck_off == 1
    period = Membership.objects.get(member=member)
    assert period.end_date == d("2026-01-05")


def test_a_correction_to_a_future_day_is_refused(tree):
    member = admit_official(tree.cell_a, d("2020-01-01"))
    death = member_record_death(member=member, effective_date=d("2026-03-01"))
    with nothing_written(), pytest.raises(ValidationError) as refused:
        event_correct(event=death, reason="x", changes={"effective_date": d("2027-03-01")})
    assert "effective_date" in error_keys(refused.value)


# --- the page -----------------------------------------------------------------------------------


def test_the_cancel_page_cancels_once_and_the_timeline_shows_who_and_why(cast, client):
    member = cast.members.b
    death = member_record_death(member=member, effective_date=d("2026-03-01"))
    client.force_login(cast.users.board)
    target = reverse("members:event_cancel", args=[member.pk, death.pk])
    member.refresh_from_db()
    data = {"reason": "Ghi nhầm người", "version": member.version}
    response = client.post(target, data, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đã hủy" in html and "Ghi nhầm người" in html and "board" in html
    member.refresh_from_db()
    assert member.status == Status.OFFICIAL
    # The same form posted again records nothing more and says so.
    with nothing_written():
        again = client.post(target, data, follow=True)
    assert "đã được hủy trước đó" in again.content.decode()
