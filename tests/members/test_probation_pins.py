"""The end of probation is computed in one place for one member and in SQL for a list; every
path that shows or checks it gives the same day, over any history the services can write."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.dates import add_months
from members import services
from members.models import Member, Status
from members.selectors import probationers_due, recognition_list
from members.views.browse import _probation_ends
from tests.conftest import admit, d
from tests.histories import History, operations
from tests.members.test_consistency import START, units  # noqa: F401 (a fixture)

PROBATION_MONTHS = 12


def _month_later(day: datetime.date | None) -> datetime.date | None:
    return add_months(day, PROBATION_MONTHS) if day else None


def check_every_path_agrees(user, today: datetime.date, within_days: int) -> None:
    ends = {}
    for member in Member.objects.all():
        ends[member.pk] = services.probation_ends(member)
        events = list(member.events.order_by("effective_date", "pk"))
        assert _probation_ends(member, events) == ends[member.pk]
    listed = Member.objects.with_probation_start()
    assert {m.pk: _month_later(m.probation_start) for m in listed} == ends

    probationary = set(
        Member.objects.filter(status=Status.PROBATIONARY).values_list("pk", flat=True)
    )
    recognition = recognition_list(user, today)
    assert {m.pk: m.probation_ends for m in recognition} == {pk: ends[pk] for pk in probationary}

    limit = today + datetime.timedelta(days=within_days)
    due = probationers_due(user, today, within_days=within_days)
    assert sorted(m.pk for m in due) == sorted(
        pk for pk in probationary if ends[pk] is not None and ends[pk] <= limit
    )
    for member in due:
        assert member.probation_ends == ends[member.pk]
        assert member.overdue == (ends[member.pk] < today)


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=operations(n_units=6),
    shift=st.integers(-500, 100),
    within_days=st.sampled_from([0, 1, 3, 30, 90, 400]),
)
def test_every_end_of_probation_agrees(units, directive28, ops, shift, within_days):  # noqa: F811
    with transaction.atomic():
        history = History(units=units, day=START, directive=directive28)
        history.seed(*units[:3])
        history.apply(ops)
        user = get_user_model().objects.create_superuser("pins", password="x")
        check_every_path_agrees(user, history.day + datetime.timedelta(days=shift), within_days)
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("within_days", [0, 1, 2, 3, 30])
@pytest.mark.parametrize("today", ["2021-01-27", "2021-01-28", "2021-02-25", "2021-02-28"])
def test_a_leap_day_ceremony_ends_on_the_28th_on_every_path(tree, today, within_days):
    # 29/02 + 12 months is 28/02: the list's bound on the start must not miss it.
    admit(tree.cell_a, d("2020-02-29"))
    admit(tree.cell_a, d("2020-02-28"), ceremony=d("2020-03-01"))
    user = get_user_model().objects.create_superuser("pins", password="x")
    check_every_path_agrees(user, d(today), within_days)
