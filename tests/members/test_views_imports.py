"""The roster import pages (members.views.imports): upload, preview, decide, confirm, discard,
the template and the export; who may use them, and the queries they cost.

Background tasks run at once in the tests (tests/conftest.py), so an upload comes back
checked and a confirmation comes back written."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from members import roster
from members.models import Member, RosterImport
from tests.conftest import nothing_written
from tests.members.roster_files import book, event, member

pytestmark = pytest.mark.django_db

Status = RosterImport.Status
LIST = reverse("members:roster_import_list")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST as the browser does: the tasks it queues run once its transaction commits (the
    test's own transaction never commits, so pytest-django's capture runs them)."""

    def send(client, url, data=None, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **options)

    return send


@pytest.fixture
def upload(send):
    def upload(client, path, name="danh-sach.xlsx"):
        data = path.read_bytes() if hasattr(path, "read_bytes") else path
        return send(client, LIST, {"file": SimpleUploadedFile(name, data)})

    return upload


def latest() -> RosterImport:
    return RosterImport.objects.latest("pk")


def action(view: str, ri: RosterImport) -> str:
    return reverse(f"members:{view}", args=[ri.pk])


@pytest.fixture
def office(cast, client):
    client.force_login(cast.users.office)
    return client


@pytest.fixture
def good_file(tmp_path):
    return book(tmp_path / "ds.xlsx", [member()])


# --- who may open the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["secretary", "leader", "nobody"])
def test_readers_get_403(cast, client, role, good_file, upload):
    client.force_login(getattr(cast.users, role))
    assert client.get(LIST).status_code == 403
    assert upload(client, good_file).status_code == 403
    assert client.get(reverse("members:roster_template")).status_code == 403
    assert not RosterImport.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_someone_elses_import_is_404(cast, client, office, good_file, upload, send):
    upload(office, good_file)
    ri = latest()
    client.force_login(cast.users.board)
    assert client.get(ri.get_absolute_url()).status_code == 404
    for view in ("roster_import_confirm", "roster_import_decide", "roster_import_discard"):
        assert send(client, action(view, ri)).status_code == 404


@pytest.mark.parametrize(
    "view", ["roster_import_confirm", "roster_import_decide", "roster_import_recheck"]
)
def test_writes_refuse_get_with_405(office, good_file, view, upload):
    upload(office, good_file)
    assert office.get(action(view, latest())).status_code == 405


# --- upload, preview, confirm -------------------------------------------------------------------


def test_upload_checks_and_writes_nothing_until_confirmed(cast, office, good_file, upload, send):
    with nothing_written():
        response = upload(office, good_file)
    ri = latest()
    assert response.status_code == 302 and response["Location"] == ri.get_absolute_url()
    assert (ri.status, ri.created_by, ri.summary["create"]) == (Status.READY, cast.users.office, 1)
    page = office.get(ri.get_absolute_url())
    assert page.status_code == 200
    assert "Trần Thị Mẫu" in page.content.decode()
    assert "Xác nhận: ghi 1 đảng viên mới" in page.content.decode()

    send(office, action("roster_import_confirm", ri))
    ri.refresh_from_db()
    assert ri.status == Status.DONE
    created = Member.objects.get(citizen_id="092185000001")
    assert created.unit == cast.tree.cell_a
    assert created.events.get().created_by == cast.users.office


def test_a_second_confirm_writes_nothing_more(office, good_file, upload, send):
    upload(office, good_file)
    ri = latest()
    send(office, action("roster_import_confirm", ri))
    with nothing_written():
        response = send(office, action("roster_import_confirm", ri), follow=True)
    assert "không còn chờ xác nhận" in response.content.decode()


def test_errors_are_listed_with_sheet_row_and_column(office, tmp_path, upload, send):
    path = book(tmp_path / "ds.xlsx", [member(), member(citizen_id="123", full_name="Sai Số")])
    with nothing_written():
        upload(office, path)
    ri = latest()
    assert ri.status == Status.INVALID
    html = office.get(ri.get_absolute_url()).content.decode()
    assert "trang Đảng viên, dòng 3" in html and "Số CCCD gồm đúng 12 chữ số." in html
    assert "Xác nhận" not in html
    with nothing_written():
        send(office, action("roster_import_confirm", ri))
    ri.refresh_from_db()
    assert ri.status == Status.INVALID


def test_a_file_that_is_not_a_workbook(office, tmp_path, upload):
    path = tmp_path / "ds.xlsx"
    path.write_text("Họ và tên;Ngày sinh")
    upload(office, path)
    html = office.get(latest().get_absolute_url()).content.decode()
    assert "không phải tệp Excel" in html


def test_a_file_over_the_limit_is_refused_by_the_form(office, settings, monkeypatch, upload):
    monkeypatch.setattr(roster, "MAX_BYTES", 100)
    response = upload(office, b"x" * 200)
    assert response.status_code == 200
    assert "Tệp quá lớn" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_no_file_is_a_form_error(office, send):
    response = send(office, LIST, {})
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_office_cannot_import_into_another_ward(office, tmp_path, upload):
    upload(office, book(tmp_path / "ds.xlsx", [member(unit_code="thoi-thanh")]))
    assert "Bạn không có quyền nhập đảng viên" in messages_of(latest())


def messages_of(ri) -> str:
    return "\n".join(roster.error_messages(ri))


# --- likely duplicates --------------------------------------------------------------------------


@pytest.fixture
def duplicate_file(cast, tmp_path):
    known = cast.members.a  # Trần Thị Ánh, born 17/05/1985 (tests.conftest.BORN)
    return book(tmp_path / "ds.xlsx", [member(full_name=known.full_name.upper())])


def test_duplicates_must_be_decided_before_confirming(office, duplicate_file, upload, send):
    upload(office, duplicate_file)
    ri = latest()
    html = office.get(ri.get_absolute_url()).content.decode()
    assert "nghi trùng" in html and 'type="radio"' in html
    with nothing_written():
        response = send(office, action("roster_import_confirm", ri), follow=True)
    assert "chưa chọn cách xử lý" in response.content.decode()


def test_deciding_to_create_then_confirming(cast, office, duplicate_file, upload, send):
    upload(office, duplicate_file)
    ri = latest()
    row = ri.rows.get()
    send(office, action("roster_import_decide", ri), {f"row-{row.pk}": "create"})
    ri.refresh_from_db()
    assert ri.summary["undecided"] == 0
    send(office, action("roster_import_confirm", ri))
    assert Member.objects.filter(name_folded="tran thi anh").count() == 2


def test_deciding_to_skip_all_writes_nothing(office, duplicate_file, upload, send):
    upload(office, duplicate_file)
    ri = latest()
    send(office, action("roster_import_decide", ri), {"all": "skip"})
    with nothing_written():
        send(office, action("roster_import_confirm", ri))
    ri.refresh_from_db()
    assert (ri.status, ri.summary["skip"], ri.summary["create"]) == (Status.DONE, 1, 0)


def test_a_bad_decision_value_is_ignored(office, duplicate_file, upload, send):
    upload(office, duplicate_file)
    ri = latest()
    row = ri.rows.get()
    send(office, action("roster_import_decide", ri), {f"row-{row.pk}": "merge", "all": "x"})
    row.refresh_from_db()
    assert row.decision == ""


# --- re-check, discard ----------------------------------------------------------------------------


def test_recheck_after_the_database_changed(cast, office, good_file, upload, send):
    upload(office, good_file)
    ri = latest()
    send(office, action("roster_import_recheck", ri))
    ri.refresh_from_db()
    assert ri.status == Status.READY


def test_discard_drops_the_file_and_rows(office, good_file, upload, send):
    upload(office, good_file)
    ri = latest()
    response = send(office, action("roster_import_discard", ri))
    assert response.status_code == 302
    ri.refresh_from_db()
    assert (ri.status, bytes(ri.content), ri.rows.count()) == (Status.DISCARDED, b"", 0)
    with nothing_written():
        send(office, action("roster_import_confirm", ri))


def test_a_done_import_cannot_be_discarded(office, good_file, upload, send):
    upload(office, good_file)
    ri = latest()
    send(office, action("roster_import_confirm", ri))
    send(office, action("roster_import_discard", ri))
    ri.refresh_from_db()
    assert ri.status == Status.DONE


# --- events through the page --------------------------------------------------------------------


def test_events_sheet_through_the_page(cast, office, tmp_path, upload, send):
    path = book(
        tmp_path / "ds.xlsx",
        [member()],
        [event(action="Từ trần", effective_date="01/01/2021", full_name="Trần Thị Mẫu")],
    )
    upload(office, path)
    ri = latest()
    html = office.get(f"{ri.get_absolute_url()}?show=new_events").content.decode()
    assert "Từ trần" in html and "01/01/2021" in html
    send(office, action("roster_import_confirm", ri))
    assert Member.objects.get(citizen_id="092185000001").status == "dead"


# --- the template and the export ----------------------------------------------------------------


def test_template_download(office):
    response = office.get(reverse("members:roster_template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:2] == [roster.MEMBERS_SHEET, roster.EVENTS_SHEET]


def test_export_of_a_unit_in_scope(cast, office):
    response = office.get(reverse("members:roster_export", args=[cast.tree.gc.code]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content))[roster.MEMBERS_SHEET]
    names = sorted(row[1] for row in ws.iter_rows(min_row=2, values_only=True))
    assert names == sorted([cast.members.a.full_name, cast.members.b.full_name])


def test_export_outside_scope_is_404(cast, office):
    url = reverse("members:roster_export", args=[cast.cell_o.code])
    assert office.get(url).status_code == 404


def test_export_is_for_editors(cast, client):
    client.force_login(cast.users.secretary)
    assert (
        client.get(reverse("members:roster_export", args=[cast.tree.cell_b.code])).status_code
        == 403
    )


# --- queries ------------------------------------------------------------------------------------


def test_preview_queries_do_not_grow_with_rows(office, tmp_path, django_assert_num_queries, upload):
    def preview(n: int) -> int:
        rows = [member(citizen_id=f"0921850{i:05d}", full_name=f"Người {i}") for i in range(n)]
        upload(office, book(tmp_path / f"{n}.xlsx", rows))
        ri = latest()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert office.get(ri.get_absolute_url()).status_code == 200
        return len(captured.captured_queries)

    assert preview(2) == preview(40)


def test_preview_query_count_is_pinned(office, good_file, django_assert_num_queries, upload):
    upload(office, good_file)
    ri = latest()
    # session, user, the user's roles (read once: editor? here and in the menu), the import,
    # the rows' page (count, rows with their members), the bulk read logged
    with django_assert_num_queries(7):
        office.get(ri.get_absolute_url())


def test_list_query_count_is_pinned(office, good_file, django_assert_num_queries, upload):
    upload(office, good_file)
    upload(office, good_file)
    with django_assert_num_queries(4):  # session, user, roles (editor? and the menu), the imports
        office.get(LIST)
