"""Issue 30, item 5: every bulk or sensitive read leaves a log row; no personal data is cached.

The cast (tests/cast.py): office on the Thốt Nốt ward (gc), other_office on Thới Thuận,
secretary on cell_b (a reader), admin a superuser."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from members import roster
from members.models import BulkRead
from members.services.read_log import log_bulk_read
from tests.members.roster_files import book
from tests.members.roster_files import member as row

Kind = BulkRead.Kind
PERIOD = "from=01/01/2020&to=05/06/2023&directive=all"


@pytest.fixture(autouse=True)
def fixed_today():
    with time_machine.travel(datetime.datetime(2023, 6, 5, 9, 0), tick=False):
        yield


def _no_store(response) -> bool:
    header = response.headers.get("Cache-Control", "")
    return "no-store" in header and "private" in header


def _reads(client, cast, tmp_path):
    """(label, kind, url) of each bulk read the office can make over its ward."""
    code = cast.tree.gc.code
    ri = roster.create_import(
        book(tmp_path / "ds.xlsx", [row()]).read_bytes(),
        file_name="ds.xlsx",
        user=cast.users.office,
    )
    roster.check(ri, histories=False)
    return [
        ("roster export", Kind.ROSTER_EXPORT, reverse("members:roster_export", args=[code])),
        (
            "report pdf",
            Kind.REPORT_PDF,
            f"{reverse('reports:unit_report_pdf', args=[code])}?{PERIOD}",
        ),
        (
            "report xlsx",
            Kind.REPORT_XLSX,
            f"{reverse('reports:unit_report_xlsx', args=[code])}?{PERIOD}",
        ),
        ("form 1 pdf", Kind.OFFICIAL_FORM, f"{reverse('reports:form1_pdf', args=[code])}?{PERIOD}"),
        (
            "form 2 xlsx",
            Kind.OFFICIAL_FORM,
            f"{reverse('reports:form2_xlsx', args=[code])}?{PERIOD}",
        ),
        (
            "records",
            Kind.FIGURE_RECORDS,
            f"{reverse('reports:records', args=[code])}?{PERIOD}&figure=admitted",
        ),
        (
            "import preview",
            Kind.IMPORT_PREVIEW,
            reverse("members:roster_import_detail", args=[ri.pk]),
        ),
    ]


def test_each_bulk_read_leaves_one_log_row_and_is_not_cached(client, cast, tmp_path):
    client.force_login(cast.users.office)
    for label, kind, url in _reads(client, cast, tmp_path):
        before = BulkRead.objects.count()
        response = client.get(url)
        assert response.status_code == 200, label
        assert _no_store(response), label
        assert BulkRead.objects.count() == before + 1, label
        read = BulkRead.objects.latest("pk")
        assert (read.user, read.kind) == (cast.users.office, kind), label
        if kind != Kind.IMPORT_PREVIEW:
            assert read.unit == cast.tree.gc, label


def test_the_roster_export_logs_how_many_records(client, cast):
    client.force_login(cast.users.office)
    client.get(reverse("members:roster_export", args=[cast.tree.gc.code]))
    read = BulkRead.objects.get(kind=Kind.ROSTER_EXPORT)
    assert read.records == 2  # member_a and member_b keep their files in the ward's cells


def test_the_superusers_admin_lists_and_changes_are_logged(client, cast):
    client.force_login(cast.users.admin)
    response = client.get(reverse("admin:members_member_changelist"))
    assert response.status_code == 200 and _no_store(response)
    read = BulkRead.objects.get(kind=Kind.ADMIN)
    assert read.what == reverse("admin:members_member_changelist") and read.records == 4
    client.get(reverse("admin:members_member_change", args=[cast.members.b.pk]))
    assert BulkRead.objects.filter(kind=Kind.ADMIN).count() == 2


@pytest.mark.parametrize(
    "name, args",
    [
        ("home", []),
        ("members:member_list", []),
        ("members:member_detail", ["member"]),
        ("branches:unit_detail", ["code"]),
        ("reports:unit_report", ["code"]),
        ("members:roster_import_list", []),
    ],
)
def test_pages_of_personal_data_say_no_store(client, cast, name, args):
    client.force_login(cast.users.office)
    values = {"member": cast.members.b.pk, "code": cast.tree.gc.code}
    response = client.get(reverse(name, args=[values[a] for a in args]))
    assert response.status_code == 200
    assert _no_store(response)


def test_the_log_page_shows_the_offices_scope_only(client, cast, django_assert_num_queries):
    log_bulk_read(user=cast.users.office, kind=Kind.ROSTER_EXPORT, unit=cast.tree.gc, records=2)
    log_bulk_read(user=cast.users.other_office, kind=Kind.ROSTER_EXPORT, unit=cast.other, records=1)
    log_bulk_read(user=cast.users.admin, kind=Kind.ADMIN, what="/admin/", records=4)
    client.force_login(cast.users.office)
    url = reverse("members:bulk_read_list")
    with django_assert_num_queries(5):  # session, user, roles, count, the page's rows
        response = client.get(url)
    shown = [(r.user, r.unit) for r in response.context["page"].object_list]
    assert shown == [(cast.users.office, cast.tree.gc)]
    assert _no_store(response)
    client.force_login(cast.users.admin)
    assert len(client.get(url).context["page"].object_list) == 3


def test_readers_may_not_open_the_log(client, cast):
    client.force_login(cast.users.secretary)
    assert client.get(reverse("members:bulk_read_list")).status_code == 403


def test_a_member_now_out_of_scope_is_listed_by_name_only(client, cast):
    """b moves from cell_b (the Thốt Nốt ward) to cell_o (Thới Thuận): the ward's records of
    the transfer name b, with neither a link (it would answer 404) nor the date of birth."""
    from members.services import member_transfer
    from tests.conftest import make_decision

    day = datetime.date(2022, 5, 1)
    member_transfer(
        member=cast.members.b, to_unit=cast.cell_o, effective_date=day, decision=make_decision(day)
    )
    born = cast.members.b.date_of_birth.strftime("%d/%m/%Y")
    records = reverse("reports:records", args=[cast.tree.gc.code])
    query = f"?{PERIOD}&figure=transferred_out"
    client.force_login(cast.users.office)
    html = client.get(records + query).content.decode()
    assert "Lê Văn Bình" in html and "ngoài phạm vi" in html
    assert born not in html
    assert reverse("members:member_detail", args=[cast.members.b.pk]) not in html
    client.force_login(cast.users.board)
    html = client.get(records + query).content.decode()
    assert born in html and "ngoài phạm vi" not in html
