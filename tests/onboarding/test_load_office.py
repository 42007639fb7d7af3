"""The office workbook: units and accounts with roles, checked, previewed, written all or none."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from branches.models import Role, Unit, UnitAncestry
from onboarding import loading
from onboarding.workbook import ACCOUNTS_SHEET, SHEETS, UNITS_SHEET, template_workbook

pytestmark = pytest.mark.django_db

UNITS = [
    ("Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Mã đơn vị cấp trên", "Ngày thành lập"),
    # a child before its parent: the loader orders the tree
    ("tb-cb-1", "Chi bộ khu vực 1", "Chi bộ", "tb-pa", "01/01/2020"),
    ("tb", "Đảng bộ thị xã Tân Bình", "Đảng bộ cấp trên cơ sở", "", "01/01/2015"),
    ("tb-pa", "Đảng bộ phường An Hòa", "Đảng bộ cơ sở", "tb", "01/01/2016"),
    ("tb-cb-2", "Chi bộ khu vực 2", "Chi bộ", "tb-pa", "01/01/2020"),
]
ACCOUNTS = [
    ("Tên đăng nhập", "Họ và tên", "Email", "Mã đơn vị", "Vai trò", "Quản trị hệ thống"),
    ("admin1", "Lê Văn Quản", "", "", "", "Có"),
    ("btc1", "Nguyễn Thị Hoa", "hoa@example.internal", "tb", "Ban tổ chức cấp trên cơ sở", ""),
    ("bithu1", "Trần Văn Minh", "", "tb-cb-1", "Bí thư chi bộ", ""),
    ("bithu1", "Trần Văn Minh", "", "tb-cb-2", "Bí thư chi bộ", ""),
]


def workbook(units=UNITS, accounts=ACCOUNTS) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in ((UNITS_SHEET, units), (ACCOUNTS_SHEET, accounts)):
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_template_has_both_sheets_with_the_loaders_headers():
    wb = template_workbook()
    for title, columns in SHEETS.items():
        headers = [c.value for c in wb[title][1]]
        assert headers == [c.header for c in columns]
    # and the empty template loads as nothing to do, not as an error
    buffer = io.BytesIO()
    wb.save(buffer)
    outcome = loading.check(buffer.getvalue())
    assert outcome.problems == [] and outcome.units == [] and outcome.accounts == []


def test_a_workbook_loads_the_tree_accounts_and_roles_into_an_empty_database():
    outcome = loading.load(workbook())
    assert outcome.problems == [] and outcome.written
    tb, pa = Unit.objects.get(code="tb"), Unit.objects.get(code="tb-pa")
    assert pa.kind == Unit.Kind.GRASSROOTS_COMMITTEE
    assert set(Unit.objects.under(tb).values_list("code", flat=True)) == {
        "tb",
        "tb-pa",
        "tb-cb-1",
        "tb-cb-2",
    }
    assert UnitAncestry.objects.filter(unit__code="tb-cb-1", ancestor=tb).exists()
    User = get_user_model()
    admin = User.objects.get(username="admin1")
    assert admin.is_superuser and admin.is_staff
    bithu = User.objects.get(username="bithu1")
    assert bithu.get_full_name() == "Trần Văn Minh"
    assert sorted(Role.objects.filter(user=bithu).values_list("unit__code", "kind")) == [
        ("tb-cb-1", Role.Kind.CELL_SECRETARY),
        ("tb-cb-2", Role.Kind.CELL_SECRETARY),
    ]
    # each new account's one-time password works, and only its hash is stored
    passwords = {a.username: a.password for a in outcome.accounts}
    assert all(len(p) == loading.PASSWORD_LENGTH for p in passwords.values())
    assert len(set(passwords.values())) == 3
    assert bithu.check_password(passwords["bithu1"])
    assert passwords["bithu1"] not in bithu.password


def test_loading_the_same_workbook_again_changes_nothing_and_makes_no_password():
    loading.load(workbook())
    before = (Unit.objects.count(), Role.objects.count(), get_user_model().objects.count())
    again = loading.load(workbook())
    assert again.problems == [] and again.new_units == again.new_accounts == again.new_roles == 0
    assert all(a.password == "" for a in again.accounts)
    assert (Unit.objects.count(), Role.objects.count(), get_user_model().objects.count()) == before


def test_one_bad_row_writes_nothing_and_every_error_names_sheet_row_and_column():
    units = [*UNITS, ("tb-cb-3", "Chi bộ 3", "Chi bộ", "khong-co", "01/01/2020")]
    units[4] = ("tb-cb-2", "Chi bộ khu vực 2", "Chi bộ", "tb-pa", "31/02/2020")
    accounts = [*ACCOUNTS, ("bithu9", "Phạm Văn Chín", "", "tb-cb-1", "Thư ký", "")]
    outcome = loading.load(workbook(units, accounts))
    assert not outcome.written
    messages = [str(p) for p in outcome.problems]
    assert messages[0].startswith("trang Đơn vị, dòng 5, cột Ngày thành lập: ")
    assert any(
        m.startswith("trang Đơn vị, dòng 6, cột Mã đơn vị cấp trên: ") and "khong-co" in m
        for m in messages
    )
    assert any(m.startswith("trang Tài khoản, dòng 6, cột Vai trò: ") for m in messages)
    assert Unit.objects.count() == 0 and Role.objects.count() == 0
    assert get_user_model().objects.count() == 0
    assert {u.code for u in outcome.units if u.failed} == {"tb-cb-3"}  # listed as refused


def test_the_services_rules_are_reported_on_their_row():
    # a cell cannot hold a cell; a child cannot be founded before its parent existed
    units = [
        UNITS[0],
        ("tb", "Đảng bộ thị xã Tân Bình", "Đảng bộ cấp trên cơ sở", "", "01/01/2015"),
        ("tb-cb", "Chi bộ A", "Chi bộ", "tb", "01/01/2016"),
        ("tb-pa", "Đảng bộ phường An Hòa", "Đảng bộ cơ sở", "tb", "01/01/2010"),
    ]
    outcome = loading.check(workbook(units, ACCOUNTS[:2]))
    rows = {(p.row, p.column) for p in outcome.problems}
    assert (3, "Mã đơn vị cấp trên") in rows  # a cell straight under the district
    assert [u.code for u in outcome.units if u.failed] == ["tb-cb", "tb-pa"]
    assert (4, "Mã đơn vị cấp trên") in rows  # founded before its parent
    assert Unit.objects.count() == 0


def test_a_loop_in_the_tree_is_refused():
    units = [
        UNITS[0],
        ("a", "Đảng bộ A", "Đảng bộ cơ sở", "b", "01/01/2016"),
        ("b", "Đảng bộ B", "Đảng bộ cơ sở", "a", "01/01/2016"),
    ]
    outcome = loading.check(workbook(units, ACCOUNTS[:1]))
    assert {p.message for p in outcome.problems} == {"Vòng lặp: đơn vị nằm dưới chính nó."}


def test_a_header_outside_the_template_is_named_not_dropped():
    units = [(*UNITS[0], "Mật khẩu"), *UNITS[1:]]
    outcome = loading.check(workbook(units))
    assert [str(p) for p in outcome.problems] == [
        "trang Đơn vị, dòng 1, cột Mật khẩu: cột không có trong mẫu."
    ]


def test_the_command_checks_writes_and_prints_each_password_once(tmp_path, capsys):
    path = tmp_path / "office.xlsx"
    path.write_bytes(workbook())
    call_command("load_office", str(path), "--dry-run")
    assert Unit.objects.count() == 0
    call_command("load_office", str(path))
    out = capsys.readouterr().out
    printed = dict(re.findall(r"^(\w+)\t(\S+)$", out, re.M))
    assert set(printed) == {"admin1", "btc1", "bithu1"}
    assert get_user_model().objects.get(username="btc1").check_password(printed["btc1"])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([UNITS[0], ("x", "X", "Chi bộ", "", "hôm qua")], ACCOUNTS[:1]))
    with pytest.raises(CommandError):
        call_command("load_office", str(bad))
    template = tmp_path / "template.xlsx"
    call_command("load_office", str(template), "--template")
    assert load_workbook(template).sheetnames[:2] == [UNITS_SHEET, ACCOUNTS_SHEET]


def test_the_admin_page_previews_then_writes_and_shows_the_passwords_once(client):
    User = get_user_model()
    root = User.objects.create_superuser("root", password="x")
    client.force_login(root)
    url = reverse("onboarding:upload")
    assert client.get(reverse("onboarding:template")).status_code == 200
    upload = io.BytesIO(workbook())
    upload.name = "office.xlsx"
    preview = client.post(url, {"file": upload})
    assert preview.status_code == 200 and Unit.objects.count() == 0
    assert "Sẽ tạo 4 đơn vị, 3 tài khoản, 3 vai trò." in preview.content.decode()
    digest = preview.context["digest"]
    result = client.post(url, {"confirm": "1", "digest": digest})
    page = result.content.decode()
    assert "Đã tạo 4 đơn vị, 3 tài khoản, 3 vai trò." in page
    assert "no-store" in result["Cache-Control"]
    password = next(a.password for a in result.context["outcome"].accounts if a.username == "btc1")
    assert password in page and User.objects.get(username="btc1").check_password(password)
    # the file was used up: a second confirmation writes nothing again
    again = client.post(url, {"confirm": "1", "digest": digest}, follow=True)
    assert "Hãy tải tệp lên lại" in again.content.decode()


def test_only_superusers_reach_the_page(client):
    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    # the admin is for superusers (branches.admin): staff are sent to its sign-in
    response = client.get(reverse("onboarding:upload"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("onboarding:template")).status_code == 302
