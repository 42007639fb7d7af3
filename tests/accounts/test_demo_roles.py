"""Issue 30: the demo's district board after the reorganization of 01/07/2025 (its district
dissolved): it reads the district's history, it edits none of the 26 organizations."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from branches.models import Role, Unit
from members.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def board():
    return get_user_model().objects.get(username="bantochuc")


def organizations() -> list[Unit]:
    district = Unit.objects.get(code="q-thot-not")
    return [
        u
        for u in Unit.objects.filter(kind__in=Unit.GRASSROOTS_KINDS)
        if u.ancestry.filter(ancestor=district).exists()
    ]


def test_the_district_boards_role_ended_with_the_district(demo):
    role = Role.objects.get(user__username="bantochuc")
    assert role.ends_on == datetime.date(2025, 7, 1)
    assert Role.objects.get(user__username="lanhdao").ends_on == datetime.date(2025, 7, 1)
    assert Role.objects.get(user__username="phuongthotnot").ends_on is None


def test_after_01_07_2025_the_board_edits_none_of_the_26_organizations(demo):
    reorganized = organizations()
    assert len(reorganized) == 26
    with time_machine.travel(datetime.datetime(2025, 7, 2, 9, 0), tick=False):
        assert not Unit.objects.editable_by(board()).filter(pk__in=[u.pk for u in reorganized])
        assert not Member.objects.editable_by(board()).exists()
    with time_machine.travel(datetime.datetime(2025, 6, 30, 9, 0), tick=False):
        assert (
            Unit.objects.editable_by(board()).filter(pk__in=[u.pk for u in reorganized]).count()
            == 26
        )


def test_after_01_07_2025_the_board_still_reads_the_districts_history(client, demo):
    with time_machine.travel(datetime.datetime(2026, 12, 8, 9, 0), tick=False):
        client.force_login(board())
        visible = Unit.objects.visible_to(board())
        assert visible.filter(pk__in=[u.pk for u in organizations()]).count() == 26
        page = client.get(
            reverse("reports:unit_report", args=["q-thot-not"]),
            {"from": "01/01/2023", "to": "31/12/2023"},
        )
        assert page.status_code == 200
        member = Member.objects.visible_to(board()).first()
        assert client.get(reverse("members:member_detail", args=[member.pk])).status_code == 200
        assert client.get(reverse("members:member_edit", args=[member.pk])).status_code == 403
