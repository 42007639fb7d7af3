"""In a real browser: the board admits a member and sees the count rise; the cell secretary
sees only that cell. Screenshots of the main pages go to artifacts/screenshots/."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    expect(page.locator("h1")).to_have_text("Trang chính")


def admitted_this_year(page: Page, unit_name: str) -> int:
    section = page.locator("section", has=page.get_by_role("heading", name=unit_name))
    figure = section.locator(".figure", has_text=re.compile("Kết nạp năm"))
    return int(figure.locator(".value").inner_text().replace(".", ""))


def test_the_board_admits_a_member_and_the_admitted_count_rises_by_one(
    page: Page,
    live_server,
    cast,
    screenshot,
):
    sign_in(page, live_server, "board")
    before = admitted_this_year(page, cast.tree.root.name)
    screenshot(page, "home-board")

    page.click("text=Kết nạp")
    expect(page.locator("h1")).to_contain_text("Kết nạp")
    today = datetime.date.today().strftime("%d/%m/%Y")
    page.fill('input[name="full_name"]', "Huỳnh Thị  Mỹ Duyên")
    gender = page.locator('[name="gender"]')
    if gender.first.evaluate("e => e.tagName") == "SELECT":
        gender.select_option(label="Nữ")
    else:
        page.check('input[name="gender"][value="female"]')
    page.fill('input[name="date_of_birth"]', "14/02/1996")
    page.fill('input[name="citizen_id"]', "092196000777")
    page.select_option('select[name="unit"]', label=cast.tree.cell_a.name)
    page.fill('input[name="decision_no"]', "77-QĐ/QU")
    page.fill('input[name="decision_date"]', today)
    page.fill('input[name="ceremony_date"]', today)
    page.fill('input[name="sponsors"]', "Lê Văn Bình, Phạm Minh Châu")
    screenshot(page, "admit-form")
    page.click('main button[type="submit"]')

    expect(page.locator("h1")).to_contain_text("Huỳnh Thị Mỹ Duyên")
    expect(page.locator(".messages")).to_be_visible()
    screenshot(page, "member-detail")

    page.goto(f"{live_server.url}/")
    assert admitted_this_year(page, cast.tree.root.name) == before + 1

    page.goto(f"{live_server.url}/members/?q=huynh+thi+my+duyen")
    expect(page.locator("main table")).to_contain_text("Huỳnh Thị Mỹ Duyên")
    screenshot(page, "member-list-search")
    page.goto(f"{live_server.url}/units/")
    screenshot(page, "unit-tree")
    page.goto(f"{live_server.url}/units/{cast.tree.gc.code}/")
    screenshot(page, "unit-detail")


def test_a_typo_in_a_date_is_shown_next_to_the_field_and_nothing_typed_is_lost(
    page: Page,
    live_server,
    cast,
):
    sign_in(page, live_server, "office")
    page.goto(f"{live_server.url}/members/new/")
    page.fill('input[name="full_name"]', "Đỗ Văn Khoa")
    page.fill('input[name="date_of_birth"]', "31/02/1990")
    page.click('main button[type="submit"]')
    expect(page.locator(".errorlist").first).to_be_visible()
    expect(page.locator('input[name="full_name"]')).to_have_value("Đỗ Văn Khoa")
    expect(page.locator('input[name="date_of_birth"]')).to_have_value("31/02/1990")


def test_the_cell_secretary_sees_only_that_cell(page: Page, live_server, cast, screenshot):
    sign_in(page, live_server, "secretary")
    screenshot(page, "home-secretary")
    expect(page.locator("nav.main-nav")).not_to_contain_text("Kết nạp")

    page.goto(f"{live_server.url}/members/")
    table = page.locator("main table")
    expect(table).to_contain_text("Lê Văn Bình")
    for outsider in ("Trần Thị Ánh", "Phạm Minh Châu", "Võ Văn Đông"):
        expect(table).not_to_contain_text(outsider)
    screenshot(page, "member-list-secretary")

    page.goto(f"{live_server.url}/units/")
    tree = page.locator("main")
    expect(tree).to_contain_text(cast.tree.cell_b.name)
    expect(tree).not_to_contain_text(cast.tree.cell_a.name)

    response = page.goto(f"{live_server.url}/members/{cast.members.a.pk}/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/members/{cast.members.b.pk}/edit/")
    assert response.status == 403


def test_the_office_imports_a_roster_fixing_the_file_after_the_preview(
    page: Page, live_server, cast, screenshot, tmp_path
):
    from members.models import Member
    from tests.members.roster_files import book, member

    bad = book(tmp_path / "sai.xlsx", [member(), member(citizen_id="0921", full_name="Lê Văn Sai")])
    good = book(
        tmp_path / "dung.xlsx",
        [member(), member(citizen_id="092185000002", full_name="Lê Văn Đúng", gender="Nam")],
    )
    sign_in(page, live_server, "office")
    page.click("text=Nhập từ Excel")
    expect(page.locator("h1")).to_contain_text("Nhập danh sách")
    page.set_input_files('input[type="file"]', str(bad))
    page.click('main button[type="submit"]')
    expect(page.locator("main")).to_contain_text("trang Đảng viên, dòng 3")
    expect(page.locator("main")).to_contain_text("Số CCCD gồm đúng 12 chữ số.")
    screenshot(page, "import-errors")
    assert not Member.objects.filter(citizen_id="092185000001").exists()

    page.click("text=Tải lên tệp khác")
    page.set_input_files('input[type="file"]', str(good))
    page.click('main button[type="submit"]')
    confirm = page.get_by_role("button", name=re.compile("Xác nhận: ghi 2 đảng viên mới"))
    expect(confirm).to_be_visible()
    screenshot(page, "import-preview")
    confirm.click()
    expect(page.locator("main")).to_contain_text("Đã nhập xong.")
    screenshot(page, "import-done")
    assert Member.objects.filter(full_name="Lê Văn Đúng", unit=cast.tree.cell_a).exists()
