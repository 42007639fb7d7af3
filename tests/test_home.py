"""The home page: the user's units with this year's figures, probations due, latest events.

And ``members.selectors.probationers_due``, which the page lists from in one query.
"""

from __future__ import annotations

import contextlib
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from branches.models import Role, Unit
from branches.services import unit_create, unit_dissolve
from members.selectors import probationers_due
from members.services import member_transfer_in, probation_ends
from tests.conftest import FOUNDED, admit, d, make_decision, new_person

HOME = reverse("home")


@contextlib.contextmanager
def on(day: str):
    """Today is ``day`` (noon in Vietnam) inside the block."""
    moment = datetime.datetime.combine(d(day), datetime.time(12), ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(moment, tick=False):
        yield


def get_home(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


# --- the user's units and this year's figures -------------------------------------------


def test_board_sees_its_unit_with_this_years_figures(client, cast):
    with on("2022-12-31"):
        response = get_home(client, cast.users.board)
    (entry,) = response.context["units"]
    assert entry["unit"] == cast.tree.root
    figures = entry["figures"]
    assert (figures.start, figures.end) == (d("2022-01-01"), d("2022-12-31"))
    assert figures.members_at_end == 4
    assert figures.flows.admitted == 1  # member_a, 01/03/2022
    assert figures.flows.removed == 0
    html = response.content.decode()
    assert "Kết nạp năm 2022" in html
    assert "Đảng viên hiện nay (31/12/2022)" in html


def test_figures_are_of_the_current_year_only(client, cast):
    with on("2023-06-01"):
        response = get_home(client, cast.users.office)
    (entry,) = response.context["units"]
    assert entry["unit"] == cast.tree.gc
    assert entry["figures"].flows.admitted == 0  # member_a was admitted in 2022
    assert entry["figures"].members_at_end == 2


def test_a_dissolved_role_unit_shows_no_figures_for_this_year(client, cast, django_user_model):
    old = unit_create(
        code="cu", name="Chi bộ Cũ", kind=Unit.Kind.CELL, founded_on=FOUNDED, parent=cast.tree.gc
    )
    unit_dissolve(unit=old, on=d("2020-07-01"))
    user = django_user_model.objects.create_user(username="cu", password="x")
    Role.objects.create(user=user, unit=old, kind=Role.Kind.CELL_SECRETARY)
    response = get_home(client, user)
    (entry,) = response.context["units"]
    assert entry["figures"] is None
    assert "đã giải thể ngày 01/07/2020" in response.content.decode()


def test_user_without_role_is_told_so_and_sees_nothing(client, cast):
    response = get_home(client, cast.users.nobody)
    assert response.context["units"] == []
    assert response.context["due"] == []
    assert response.context["recent"] == []
    assert "chưa được giao vai trò" in response.content.decode()


# --- needs attention: probations due ----------------------------------------------------


def test_probation_ending_within_30_days_is_listed_not_overdue(client, cast):
    with on("2023-02-15"):  # member_a's probation ends on 01/03/2023
        response = get_home(client, cast.users.office)
    (member,) = response.context["due"]
    assert member.pk == cast.members.a.pk
    assert member.probation_ends == d("2023-03-01")
    assert not member.overdue
    html = response.content.decode()
    assert "01/03/2023" in html
    assert 'class="overdue"' not in html


def test_probation_past_its_end_is_marked_overdue(client, cast):
    with on("2023-03-02"):
        response = get_home(client, cast.users.board)
    (member,) = response.context["due"]
    assert member.overdue
    assert 'class="overdue"' in response.content.decode()


def test_probation_far_from_its_end_is_not_listed(client, cast):
    with on("2022-06-01"):
        response = get_home(client, cast.users.board)
    assert response.context["due"] == []


def test_probations_due_stay_in_scope(client, cast):
    with on("2023-03-02"):
        assert get_home(client, cast.users.secretary).context["due"] == []
        assert get_home(client, cast.users.other_office).context["due"] == []


def test_selector_counts_from_the_ceremony_as_probation_ends_does(cast):
    late = admit(cast.tree.cell_b, d("2022-03-01"), ceremony=d("2022-03-20"))
    due = {m.pk: m.probation_ends for m in probationers_due(cast.users.board, d("2023-03-01"))}
    assert due[late.pk] == d("2023-03-20") == probation_ends(late)
    assert due[cast.members.a.pk] == d("2023-03-01") == probation_ends(cast.members.a)
    # 30 days from 01/03/2023 is 31/03/2023: a ceremony on 01/04/2022 is not yet due.
    later = admit(cast.tree.cell_b, d("2022-04-01"))
    assert later.pk not in {m.pk for m in probationers_due(cast.users.board, d("2023-03-01"))}


def test_selector_falls_back_to_admitted_on_without_an_admission_event(cast):
    arrival = new_person(full_name="Đỗ Văn Đến", admitted_on=d("2022-02-10"))
    member_transfer_in(
        member=arrival,
        unit=cast.tree.cell_b,
        origin="Đảng bộ tỉnh An Giang",
        effective_date=d("2022-05-01"),
        decision=make_decision(d("2022-05-01")),
        probationary=True,
    )
    due = {m.pk: m for m in probationers_due(cast.users.board, d("2023-02-01"))}
    assert due[arrival.pk].probation_ends == d("2023-02-10") == probation_ends(arrival)


def test_selector_handles_29_february(cast):
    leap = admit(cast.tree.cell_b, d("2024-02-29"))
    assert probation_ends(leap) == d("2025-02-28")
    due = {m.pk: m for m in probationers_due(cast.users.board, d("2025-01-29"))}
    assert due[leap.pk].probation_ends == d("2025-02-28")
    assert leap.pk not in {m.pk for m in probationers_due(cast.users.board, d("2025-01-28"))}


def test_selector_is_one_query_however_many_are_due(cast, django_assert_num_queries):
    for n in range(5):
        admit(cast.tree.cell_b, d("2022-03-01"), full_name=f"Lê Văn Dự {n}")
    Role.objects.unit_ids_of(cast.users.board)  # the roles, read once per request
    with django_assert_num_queries(1):
        due = probationers_due(cast.users.board, d("2023-03-15"))
    assert len(due) == 6


def test_recognized_members_are_not_due(cast):
    # member_b (official since 2016) never shows up, whatever the day.
    due = probationers_due(cast.users.board, d("2016-05-01"))
    assert cast.members.b.pk not in {m.pk for m in due}


# --- the latest events ------------------------------------------------------------------


def test_latest_ten_events_newest_first_with_links(client, cast):
    for n in range(12):
        admit(
            cast.tree.cell_b, d("2023-01-01") + datetime.timedelta(days=n), full_name=f"Hồ Văn {n}"
        )
    response = get_home(client, cast.users.board)
    events = response.context["recent"]
    assert len(events) == 10
    days = [e.effective_date for e in events]
    assert days == sorted(days, reverse=True)
    assert days[0] == d("2023-01-12")
    html = response.content.decode()
    first = events[0]
    assert reverse("members:member_detail", args=[first.member_id]) in html
    assert first.decision_no in html
    assert "12/01/2023" in html


# --- query counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "queries"),
    [
        # session, user; roles with their units (the figures, and kept for the scope and
        # the menu); 3 per role's figures; probations due; latest events. Nobody has no
        # scope, so nothing is due and nothing is recent.
        ("board", 8),
        ("secretary", 8),
        ("nobody", 3),
    ],
)
def test_home_query_count(client, cast, django_assert_num_queries, role, queries):
    client.force_login(getattr(cast.users, role))
    with django_assert_num_queries(queries):
        assert client.get(HOME).status_code == 200


def test_home_query_count_does_not_grow_with_members(client, cast, django_assert_num_queries):
    for n in range(20):
        admit(cast.tree.cell_b, d("2022-03-01"), full_name=f"Trương Văn {n}")
    client.force_login(cast.users.board)
    with on("2023-03-15"), django_assert_num_queries(8):
        response = client.get(HOME)
    assert response.context["due_count"] == 21
