"""Issue 29: the roster import reads workbooks it has not seen. The user says which column is
which, and what the office's coded values mean (remembered for the office); then the same
check, preview, row errors and all-or-nothing commit as the template."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from members.models import Member, RosterImport, RosterValueMapping
from members.roster import mapping

pytestmark = pytest.mark.django_db

LIST = reverse("members:roster_import_list")

# Shaped like the national membership software's export: its own sheet name, a title row
# above the header, its own headers, gender and ethnicity as codes, columns we do not keep.
NATIONAL_HEADER = [
    "STT",
    "Họ và tên khai sinh",
    "Giới tính",
    "Ngày, tháng, năm sinh",
    "Số định danh cá nhân",
    "Dân tộc",
    "Tôn giáo",
    "Chi bộ sinh hoạt",
    "Ngày vào Đảng",
    "Số QĐ kết nạp",
    "Tình trạng",
]


def national(tree, rows=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "DanhSachDangVien"
    ws.append(["DANH SÁCH ĐẢNG VIÊN (xuất từ phần mềm)"])
    ws.append(NATIONAL_HEADER)
    for r in rows or [
        [
            1,
            "Trần Thị Mẫu",
            "2",
            "17/05/1985",
            "092185000001",
            "01",
            "00",
            tree.cell_a.name,
            "01/03/2015",
            "12-QĐ/ĐU",
            "ĐV dự bị",
        ],
        [
            2,
            "Lê Văn Bình",
            "1",
            "02/09/1984",
            "092184000002",
            "01",
            "00",
            tree.cell_b.name,
            "01/03/2015",
            "13-QĐ/ĐU",
            "ĐV dự bị",
        ],
    ]:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post_file(client, data, django_capture_on_commit_callbacks, name="xuat.xlsx"):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(LIST, {"file": SimpleUploadedFile(name, data)})


def national_columns() -> dict[str, str]:
    return {
        "members-1": "full_name",
        "members-2": "gender",
        "members-3": "date_of_birth",
        "members-4": "citizen_id",
        "members-5": "ethnicity",
        "members-6": "religion",
        "members-7": "unit_code",
        "members-8": "admitted_on",
        "members-9": "admission_no",
        # STT and Tình trạng left out
    }


def test_a_national_export_is_mapped_checked_and_committed(
    cast, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.users.office)
    response = post_file(client, national(cast.tree), django_capture_on_commit_callbacks)
    ri = RosterImport.objects.latest("pk")
    assert response.url == reverse("members:roster_import_map", args=[ri.pk])
    page = client.get(response.url)
    assert "Họ và tên khai sinh" in page.content.decode()
    url = reverse("members:roster_import_map", args=[ri.pk])
    # the required ones left unchosen are named, and nothing moves on
    refused = client.post(url, {"step": "columns", "members-1": "full_name"})
    assert "chưa chọn cột “Giới tính”" in refused.content.decode()
    response = client.post(url, {"step": "columns", **national_columns()})
    assert response.url.endswith("?step=values")
    # gender 1/2 and the GSO's codes "00" for no religion: asked once
    page = client.get(response.url).content.decode()
    assert "Giới tính" in page and "Tôn giáo" in page
    values = {"gender-0": "female", "gender-1": "male", "religion-0": "none"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"step": "values", **values})
    ri.refresh_from_db()
    assert response.url == ri.get_absolute_url()
    assert ri.status == RosterImport.Status.READY, ri.file_errors
    assert ri.summary["create"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:roster_import_confirm", args=[ri.pk]))
    woman = Member.objects.get(citizen_id="092185000001")
    assert (woman.gender, woman.unit, woman.ethnicity) == ("female", cast.tree.cell_a, "01")
    assert Member.objects.get(citizen_id="092184000002").gender == "male"


def test_the_office_is_asked_once_then_its_columns_and_values_are_remembered(
    cast, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.users.office)
    post_file(client, national(cast.tree), django_capture_on_commit_callbacks)
    ri = RosterImport.objects.latest("pk")
    url = reverse("members:roster_import_map", args=[ri.pk])
    client.post(url, {"step": "columns", **national_columns()})
    values = {"gender-0": "female", "gender-1": "male", "religion-0": "none"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"step": "values", **values})
    office = mapping.office_of(cast.users.office)
    assert office == cast.tree.gc
    assert RosterValueMapping.objects.filter(office=office, column="gender").count() == 2
    # the next export of the same shape: the columns come chosen, no value is asked again
    post_file(client, national(cast.tree), django_capture_on_commit_callbacks)
    again = RosterImport.objects.latest("pk")
    url = reverse("members:roster_import_map", args=[again.pk])
    page = client.get(url).content.decode()
    assert '<option value="full_name" selected>' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"step": "columns", **national_columns()})
    assert response.url == again.get_absolute_url()  # straight to the check
    again.refresh_from_db()
    assert again.status == RosterImport.Status.READY, again.file_errors
    # another office has its own mappings: asked again
    assert mapping.remembered(cast.other) == {}


def test_an_offices_own_columns_with_a_bad_row_write_nothing(
    cast, client, django_capture_on_commit_callbacks
):
    """An office's own sheet: different order, extra notes column; one bad date refuses the
    whole file on its row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS chi bộ"
    ws.append(["Tên", "Chi bộ", "Nam/Nữ", "Sinh ngày", "CCCD", "Kết nạp ngày", "QĐ", "Ghi chú"])
    ws.append(
        [
            "Trần Thị Mẫu",
            "long-thanh-1",
            "Nữ",
            "17/05/1985",
            "092185000001",
            "01/03/2015",
            "12-QĐ/ĐU",
            "chuyển về 2019",
        ]
    )
    ws.append(
        [
            "Lê Văn Bình",
            "long-thanh-2",
            "Nam",
            "31/02/1984",
            "092184000002",
            "01/03/2015",
            "13-QĐ/ĐU",
            "",
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    client.force_login(cast.users.office)
    before = Member.objects.count()
    post_file(client, out.getvalue(), django_capture_on_commit_callbacks)
    ri = RosterImport.objects.latest("pk")
    url = reverse("members:roster_import_map", args=[ri.pk])
    columns = {
        "members-0": "full_name",
        "members-1": "unit_code",
        "members-2": "gender",
        "members-3": "date_of_birth",
        "members-4": "citizen_id",
        "members-5": "admitted_on",
        "members-6": "admission_no",
        "members-7": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"step": "columns", **columns})
    assert response.url == ri.get_absolute_url()  # Nam/Nữ are our own words: nothing to ask
    ri.refresh_from_db()
    assert ri.status == RosterImport.Status.INVALID
    from members import roster

    assert roster.error_messages(ri) == [
        "trang Đảng viên, dòng 3, cột Ngày sinh: Ngày không hợp lệ “31/02/1984”: "
        "ghi theo dạng dd/mm/yyyy."
    ]
    assert Member.objects.count() == before


def test_a_template_shaped_file_skips_the_mapping_page(
    cast, client, django_capture_on_commit_callbacks, tmp_path
):
    from tests.members.roster_files import book, member

    client.force_login(cast.users.office)
    data = book(tmp_path / "ds.xlsx", [member()]).read_bytes()
    response = post_file(client, data, django_capture_on_commit_callbacks)
    ri = RosterImport.objects.latest("pk")
    assert response.url == ri.get_absolute_url()
    ri.refresh_from_db()
    assert ri.status == RosterImport.Status.READY
