"""A large unit's roster export, prepared in the background (members.roster.exporting): the
export page's choice between the workbook and the offer, the request, the task, the export's
page and download; who may use them, and the queries the page costs.

Background tasks run at once in the tests (tests/conftest.py). The cast's ward (``gc``) keeps
two records (members a and b); ``ROSTER_EXPORT_INLINE_MAX = 1`` makes it a large unit.
"""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from openpyxl import load_workbook

from members import roster, tasks
from members.models import Member, RosterExport, RosterExportPart
from members.roster import locks
from members.services import member_transfer
from tests.conftest import WRITES_BESIDE_A_READ, in_another_connection, make_decision
from tests.members.workers import Holder

pytestmark = pytest.mark.django_db

Status = RosterExport.Status
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOW = datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC)  # 09:00 in Vietnam


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST as the browser does: the tasks it queues run once its transaction commits."""

    def send(client, url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return send


@pytest.fixture
def large(settings):
    settings.ROSTER_EXPORT_INLINE_MAX = 1


@pytest.fixture
def office(cast, client):
    client.force_login(cast.users.office)
    return client


def export_url(unit) -> str:
    return reverse("members:roster_export", args=[unit.code])


def request_url(unit) -> str:
    return reverse("members:roster_export_request", args=[unit.code])


def file_url(export: RosterExport) -> str:
    return reverse("members:roster_export_file", args=[export.pk])


def sheets(content: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return {
        name: list(wb[name].iter_rows(values_only=True))
        for name in (roster.MEMBERS_SHEET, roster.EVENTS_SHEET)
    }


def names(content: bytes) -> list[str]:
    return sorted(row[1] for row in sheets(content)[roster.MEMBERS_SHEET][1:])


# --- the export page: the workbook, or the offer ------------------------------------------------


def test_a_unit_within_the_limit_still_gets_the_workbook_inline(cast, office, settings):
    settings.ROSTER_EXPORT_INLINE_MAX = 2  # the ward's two records: not over the limit
    with time_machine.travel(NOW, tick=False):
        response = office.get(export_url(cast.tree.gc))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="danh-sach-phuong-thot-not-20260310.xlsx"'
    )
    assert names(response.content) == sorted([cast.members.a.full_name, cast.members.b.full_name])
    assert not RosterExport.objects.exists()


def test_over_the_limit_the_page_offers_the_background_and_writes_nothing(
    cast, office, large, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = office.get(export_url(cast.tree.gc))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Đơn vị có hơn 1 hồ sơ" in page
    assert f'action="{request_url(cast.tree.gc)}"' in page
    assert "Chuẩn bị tệp" in page
    assert not RosterExport.objects.exists()
    assert queued == []


def test_the_current_option_is_carried_to_the_request(cast, office, large, send):
    page = office.get(export_url(cast.tree.gc) + "?current=1").content.decode()
    assert '<input type="hidden" name="current" value="1">' in page
    send(office, request_url(cast.tree.gc), {"current": "1"})
    assert RosterExport.objects.get().current_only is True


def test_a_unit_whose_records_would_not_fit_a_sheet_is_not_exported(
    cast, office, large, send, monkeypatch
):
    # The ward's two records fit 2 rows; their events do not (more than 2).
    monkeypatch.setattr(roster.exporting, "SHEET_ROWS", 3)
    page = office.get(export_url(cast.tree.gc)).content.decode()
    assert "vượt quá 2 dòng" in page
    assert "Chuẩn bị tệp" not in page
    refused = send(office, request_url(cast.tree.gc))
    assert refused.status_code == 400
    assert "vượt quá 2 dòng" in refused.content.decode()
    assert not RosterExport.objects.exists()
    monkeypatch.setattr(roster.exporting, "SHEET_ROWS", 100)  # events fit: the button is back
    assert "Chuẩn bị tệp" in office.get(export_url(cast.tree.gc)).content.decode()


# --- the request, the task, the page and the download -------------------------------------------


def test_the_request_prepares_the_workbook_of_the_inline_export(
    cast, office, large, send, settings
):
    with time_machine.travel(NOW, tick=False):
        response = send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == export.get_absolute_url()
    assert (export.status, export.created_by, export.unit) == (
        Status.READY,
        cast.users.office,
        cast.tree.gc,
    )

    page = office.get(export.get_absolute_url()).content.decode()
    assert "Sẵn sàng" in page
    assert f'href="{file_url(export)}"' in page
    assert 'http-equiv="refresh"' not in page

    download = office.get(file_url(export))
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    assert download["Content-Disposition"] == (
        'attachment; filename="danh-sach-phuong-thot-not-20260310.xlsx"'
    )
    content = b"".join(download.streaming_content)
    assert int(download["Content-Length"]) == len(content) == export.size
    settings.ROSTER_EXPORT_INLINE_MAX = 20_000
    with time_machine.travel(NOW, tick=False):  # the same day: party age is of the day (R15)
        inline = office.get(export_url(cast.tree.gc))
    assert inline["Content-Type"] == XLSX
    assert sheets(content) == sheets(inline.content)
    assert len(sheets(content)[roster.MEMBERS_SHEET]) == 3  # header, a and b


def test_the_file_is_stored_and_sent_in_parts_that_make_it_whole(
    cast, office, large, send, monkeypatch
):
    monkeypatch.setattr(roster.exporting, "PART_BYTES", 1000)
    send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    sizes = [len(data) for data in export.parts.order_by("number").values_list("data", flat=True)]
    assert len(sizes) == -(-export.size // 1000) > 3  # a few kB: several parts
    assert all(size == 1000 for size in sizes[:-1]) and 0 < sizes[-1] <= 1000
    assert list(export.parts.values_list("number", flat=True).order_by("number")) == list(
        range(len(sizes))
    )
    content = b"".join(office.get(file_url(export)).streaming_content)
    assert len(content) == export.size
    assert names(content) == sorted([cast.members.a.full_name, cast.members.b.full_name])


def test_a_queued_export_page_refreshes_itself_and_has_no_file(cast, office, large):
    office.post(request_url(cast.tree.gc))  # the task is queued at the commit, never run here
    export = RosterExport.objects.get()
    assert export.status == Status.QUEUED
    page = office.get(export.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' in page
    assert "Tệp đang chờ được chuẩn bị" in page
    assert office.get(file_url(export)).status_code == 404


def building(export: RosterExport) -> RosterExport:
    RosterExport.objects.filter(pk=export.pk).update(status=Status.BUILDING, started_at=NOW)
    export.refresh_from_db()
    return export


def test_an_export_being_built_shows_since_when_and_refreshes(cast, office, large):
    office.post(request_url(cast.tree.gc))
    export = building(RosterExport.objects.get())
    with Holder(export):
        page = office.get(export.get_absolute_url()).content.decode()
        recent = office.get(export_url(cast.tree.gc)).content.decode()
    assert 'http-equiv="refresh"' in page
    assert "bắt đầu lúc 10/03/2026 09:00" in page
    assert "Đã dừng giữa chừng" not in page + recent
    # No second request while a worker is at the first one.
    assert f'action="{request_url(cast.tree.gc)}"' not in page


def test_an_export_left_building_by_a_dead_worker_says_so_and_may_be_asked_again(
    cast, office, large, send
):
    office.post(request_url(cast.tree.gc))
    export = building(RosterExport.objects.get())  # and no worker holds its lock
    page = office.get(export.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "Đã dừng giữa chừng" in page
    assert "tệp chưa được lưu. Hãy yêu cầu lại." in page
    assert f'action="{request_url(cast.tree.gc)}"' in page
    assert "Đã dừng giữa chừng" in office.get(export_url(cast.tree.gc)).content.decode()
    send(office, request_url(cast.tree.gc))
    assert RosterExport.objects.filter(status=Status.READY).count() == 1


def test_the_worker_holds_the_exports_lock_from_before_building_until_done(
    cast, office, large, send, monkeypatch
):
    seen = []
    write = roster.exporting.write_export

    def watched(members, out):
        export = RosterExport.objects.get()
        seen.append((export.status, locks.is_worked_on(export)))
        return write(members, out)

    monkeypatch.setattr("members.roster.exporting.write_export", watched)
    send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    assert seen == [(Status.BUILDING, True)]
    assert export.status == Status.READY
    assert not locks.is_worked_on(export)
    assert not roster.is_export_interrupted(export)


def test_a_failure_marks_the_export_failed_and_the_page_says_so(
    cast, office, large, send, monkeypatch
):
    def broken(queryset, out):
        raise RuntimeError("disk full")

    monkeypatch.setattr("members.roster.exporting.export_roster", broken)
    send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    assert export.status == Status.FAILED
    assert not export.parts.exists() and export.size is None
    assert export.error == roster.exporting.FAILED_MESSAGE
    page = office.get(export.get_absolute_url()).content.decode()
    assert "Có lỗi hệ thống khi chuẩn bị tệp" in page
    assert "Yêu cầu lại" in page
    assert office.get(file_url(export)).status_code == 404


def test_the_task_exports_what_the_requester_may_see(cast):
    # The secretary sees only cell_b: an export of the whole ward asked in their name (as if
    # their scope had shrunk since the request) holds only cell_b's records.
    export = RosterExport.objects.create(unit=cast.tree.gc, created_by=cast.users.secretary)
    tasks.build_roster_export.enqueue(export.pk)
    export.refresh_from_db()
    assert export.status == Status.READY
    assert names(b"".join(roster.export_parts(export))) == [cast.members.b.full_name]


def test_exports_older_than_a_week_are_deleted_when_anyone_asks_again(
    cast, office, large, send, client
):
    def ask(user, when):
        client.force_login(user)
        with time_machine.travel(when, tick=False):
            send(client, request_url(cast.tree.gc))
        return RosterExport.objects.latest("pk")

    old_mine = ask(cast.users.office, NOW)
    recent_mine = ask(cast.users.office, NOW + datetime.timedelta(days=2))
    old_theirs = ask(cast.users.board, NOW)
    new_mine = ask(cast.users.office, NOW + datetime.timedelta(days=8))

    kept = set(RosterExport.objects.values_list("pk", flat=True))
    assert kept == {recent_mine.pk, new_mine.pk}  # both 8 days old ones went, with their parts
    assert {old_mine.pk, old_theirs.pk}.isdisjoint(kept)
    assert not RosterExportPart.objects.filter(export__in=[old_mine.pk, old_theirs.pk]).exists()
    assert RosterExportPart.objects.filter(export=recent_mine).exists()


def test_the_units_page_links_both_exports_for_staff_who_enter_records(cast, office, client):
    unit_page = reverse("branches:unit_detail", args=[cast.tree.gc.code])
    page = office.get(unit_page).content.decode()
    assert f'href="{export_url(cast.tree.gc)}?current=1"' in page
    assert f'href="{export_url(cast.tree.gc)}"' in page
    client.force_login(cast.users.secretary)  # a reader: no link (the export would be 403)
    cell_page = client.get(reverse("branches:unit_detail", args=[cast.tree.cell_b.code]))
    assert export_url(cast.tree.cell_b) not in cell_page.content.decode()


# --- who may ------------------------------------------------------------------------------------


def test_someone_elses_export_is_404(cast, office, large, send, client):
    send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    client.force_login(cast.users.board)  # an editor whose scope covers the ward
    assert client.get(export.get_absolute_url()).status_code == 404
    assert client.get(file_url(export)).status_code == 404


def test_a_unit_outside_the_scope_is_404_and_nothing_is_asked(cast, client, large, send):
    client.force_login(cast.users.other_office)
    assert send(client, request_url(cast.tree.gc)).status_code == 404
    assert not RosterExport.objects.exists()


def test_readers_get_403(cast, client, large, send):
    client.force_login(cast.users.secretary)
    assert send(client, request_url(cast.tree.cell_b)).status_code == 403
    assert not RosterExport.objects.exists()


def test_the_request_refuses_get_with_405(cast, office):
    assert office.get(request_url(cast.tree.gc)).status_code == 405


def test_the_file_is_404_once_the_unit_left_the_users_scope(cast, office, large, send):
    send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    cast.users.office.party_roles.update(unit=cast.other)
    assert office.get(file_url(export)).status_code == 404


# --- queries and the database's rules -----------------------------------------------------------


def test_the_export_page_query_count_is_pinned(
    cast, office, large, send, django_assert_num_queries
):
    send(office, request_url(cast.tree.gc))
    export = RosterExport.objects.get()
    # session, user, the user's roles (editor? and the menu), the export with its unit
    with django_assert_num_queries(4):
        assert office.get(export.get_absolute_url()).status_code == 200


def test_the_database_refuses_a_status_that_does_not_exist(cast):
    export = RosterExport.objects.create(unit=cast.tree.gc, created_by=cast.users.office)
    with pytest.raises(IntegrityError), transaction.atomic():
        RosterExport.objects.filter(pk=export.pk).update(status="lost")


def test_the_database_refuses_a_size_on_an_export_not_ready(cast):
    export = RosterExport.objects.create(unit=cast.tree.gc, created_by=cast.users.office)
    with pytest.raises(IntegrityError), transaction.atomic():
        RosterExport.objects.filter(pk=export.pk).update(size=100)


def test_the_database_refuses_two_parts_with_one_number(cast):
    export = RosterExport.objects.create(unit=cast.tree.gc, created_by=cast.users.office)
    export.parts.create(number=0, data=b"PK")
    with pytest.raises(IntegrityError), transaction.atomic():
        export.parts.create(number=0, data=b"..")


# --- one moment ----------------------------------------------------------------------------------


def workbook_of(cast) -> bytes:
    members = roster.export_members(unit=cast.tree.gc, user=cast.users.office, current_only=False)
    out = io.BytesIO()
    roster.write_export(members, out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
@WRITES_BESIDE_A_READ
def test_a_roster_reads_one_moment_while_a_clerk_commits_a_transfer(cast):
    """The members are read first, their events after (500 at a time): a transfer committed
    in between would show in a member's events but not in the member's row."""
    before = sheets(workbook_of(cast))
    moved = cast.members.b
    fired = []
    day = datetime.date(2023, 5, 2)

    def transfer():
        member_transfer(
            member=Member.objects.get(pk=moved.pk),
            to_unit=cast.tree.cell_a,
            effective_date=day,
            decision=make_decision(day),
        )

    def after_the_members(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not fired and 'FROM "members_member"' in sql:
            fired.append(sql)
            in_another_connection(transfer)
        return result

    with connections["default"].execute_wrapper(after_the_members):
        during = sheets(workbook_of(cast))
    assert fired
    assert Member.objects.get(pk=moved.pk).unit_id == cast.tree.cell_a.pk
    assert during == before
    after = sheets(workbook_of(cast))
    assert len(after[roster.EVENTS_SHEET]) == len(before[roster.EVENTS_SHEET]) + 1


@pytest.mark.django_db(transaction=True)
def test_a_roster_is_read_in_one_read_only_transaction(cast):
    seen = []

    def note(execute, sql, params, many, context):
        if sql.startswith("BEGIN"):  # SQLite's (a reading one DEFERRED), as the transaction opens
            return execute(sql, params, many, context)
        seen.append(connections["default"].in_atomic_block)
        if connection.vendor == "postgresql" and sql.startswith("SELECT"):
            with connections["default"].cursor() as cursor:
                cursor.execute("SHOW transaction_isolation")
                seen.append(cursor.fetchone() == ("repeatable read",))
        return execute(sql, params, many, context)

    members = roster.export_members(unit=cast.tree.gc, user=cast.users.office, current_only=False)
    out = io.BytesIO()
    with connections["default"].execute_wrapper(note):
        roster.write_export(members, out)
    assert names(out.getvalue()) == sorted([cast.members.a.full_name, cast.members.b.full_name])
    assert len(seen) >= 2 and all(seen), seen
    assert not connections["default"].in_atomic_block
