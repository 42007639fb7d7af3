"""Taking the member list away (issue 28): print pages with every filtered row and a heading,
Excel for every role within its scope (a cell secretary's own roll included), each logged;
text that looks like a formula stays text."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from members.models import BulkRead
from tests.cast import cast  # noqa: F401 (fixture)
from tests.conftest import admit, d

PRINT = reverse("members:member_list_print")
XLSX = reverse("members:member_list_xlsx")


def workbook_names(response) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "STT") + 1
    return [row[1] for row in rows[start:] if row and isinstance(row[0], int)]


def test_every_role_downloads_its_own_scope_to_excel(client, cast):  # noqa: F811
    expected = {
        "board": {"Trần Thị Ánh", "Lê Văn Bình", "Phạm Minh Châu", "Võ Văn Đông"},
        "office": {"Trần Thị Ánh", "Lê Văn Bình"},
        "secretary": {"Lê Văn Bình"},  # her own roll
        "leader": {"Trần Thị Ánh", "Lê Văn Bình", "Phạm Minh Châu", "Võ Văn Đông"},
        "other_office": {"Võ Văn Đông"},
    }
    for who, names in expected.items():
        client.force_login(getattr(cast.users, who))
        response = client.get(XLSX)
        assert response.status_code == 200, who
        assert set(workbook_names(response)) == names, who
        log = BulkRead.objects.filter(user=getattr(cast.users, who)).get()
        assert (log.kind, log.records) == (BulkRead.Kind.LIST_XLSX, len(names))


def test_the_excel_list_follows_the_filter_and_names_it(client, cast):  # noqa: F811
    client.force_login(cast.users.board)
    response = client.get(XLSX, {"unit": cast.tree.gc.pk, "gender": "female"})
    assert workbook_names(response) == ["Trần Thị Ánh"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    heading = [row[0] for row in sheet.iter_rows(max_row=4, values_only=True)]
    assert heading[0].startswith("Danh sách đảng viên, ngày ")
    assert "Đơn vị: Đảng bộ phường Thốt Nốt" in heading
    assert "Giới tính: Nữ" in heading


def test_text_that_looks_like_a_formula_stays_text(client, cast):  # noqa: F811
    for name in ("=HYPERLINK(1)", "+Cộng", "-Trừ", "@Tên"):
        admit(cast.tree.cell_b, d("2020-01-01"), full_name=name)
    client.force_login(cast.users.secretary)
    response = client.get(XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [row[1] for row in sheet.iter_rows() if row[1].value and row[1].value[0] in "=+-@\t"]
    assert len(cells) == 4
    for cell in cells:
        assert cell.data_type == "s" and cell.quotePrefix, cell.value


def test_the_one_text_writer_quotes_tab_and_carriage_return_too():
    from openpyxl import Workbook

    from common.xlsx import text_cell

    sheet = Workbook(write_only=True).create_sheet()
    for value in ("\tx", "\rx", "=1", "+1", "-1", "@x"):
        cell = text_cell(sheet, value)
        assert cell.data_type == "s" and cell.quotePrefix, repr(value)
    assert not text_cell(sheet, "Nguyễn").quotePrefix


def test_the_print_page_has_every_row_and_a_heading(client, cast):  # noqa: F811
    for number in range(60):  # more than the list's page of 50
        admit(cast.tree.cell_b, d("2020-01-01"), full_name=f"Người Số {number:02d}")
    client.force_login(cast.users.office)
    page = client.get(PRINT, {"unit": cast.tree.cell_b.pk}).content.decode()
    assert page.count("Người Số ") == 60
    assert "Danh sách đảng viên, ngày " in page
    assert "Đơn vị: Chi bộ khu vực Long Thạnh 2" in page
    assert "Trạng thái: Đang sinh hoạt" in page
    assert BulkRead.objects.get(user=cast.users.office).kind == BulkRead.Kind.LIST_PRINT


def test_the_print_page_stays_in_scope(client, cast):  # noqa: F811
    client.force_login(cast.users.secretary)
    page = client.get(PRINT).content.decode()
    assert "Lê Văn Bình" in page and "Võ Văn Đông" not in page
    # A unit outside the scope is a bad filter, said so; no wider list.
    page = client.get(PRINT, {"unit": cast.cell_o.pk}).content.decode()
    assert "Một điều kiện lọc không hợp lệ" in page and "Võ Văn Đông" not in page


def test_the_record_prints_without_the_audit_trail_unless_asked(client, cast):  # noqa: F811
    client.force_login(cast.users.board)
    url = reverse("members:member_detail", args=[cast.members.b.pk])
    page = client.get(url).content.decode()
    assert '<div class="no-print">\n<h2>Lịch sử thay đổi</h2>' in page
    assert 'class="js-print"' in page
    page = client.get(url, {"audit": "1"}).content.decode()
    assert '<div class="">\n<h2>Lịch sử thay đổi</h2>' in page


def test_the_print_stylesheet_hides_the_screen_parts(client):
    css = (__import__("pathlib").Path("static/css/app.css")).read_text()
    block = css[css.rindex("@media print") :]
    assert ".breadcrumbs" in block and "details.fold" in block and ".js-print" in block
