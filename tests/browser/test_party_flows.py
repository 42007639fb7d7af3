"""In a real browser (issue 24, R18): the Thốt Nốt ward office sends a member to a cell of the
Thới Thuận ward, which sees the member on the way and receives them."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from members.models import Status
from tests.browser.test_staff_flows import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_transfer_to_another_wards_cell_in_two_steps(page: Page, live_server, cast, screenshot):
    member = cast.members.b
    today = datetime.date.today().strftime("%d/%m/%Y")
    sign_in(page, live_server, "office")
    page.goto(f"{live_server.url}/members/{member.pk}/")
    page.click("text=Chuyển đến cấp ủy khác")
    page.select_option('select[name="to_unit"]', label=cast.cell_o.name)
    page.fill('input[name="effective_date"]', today)
    page.fill('input[name="decision_no"]', "40-QĐ/ĐU")
    page.fill('input[name="decision_date"]', today)
    page.click('main button[type="submit"]')
    expect(page.locator(".messages")).to_contain_text("chờ nơi đến tiếp nhận")
    page.goto(f"{live_server.url}/members/transfers/pending/")
    expect(page.locator("main")).to_contain_text(member.full_name)
    expect(page.locator("main a.button")).to_have_count(0)  # not theirs to receive
    screenshot(page, "transfers-pending-sender")

    sign_in(page, live_server, "other_office")
    page.click("text=Chuyển sinh hoạt chờ tiếp nhận")
    page.click("a.button:has-text('Tiếp nhận')")
    page.fill('input[name="received_on"]', today)
    page.fill('input[name="decision_no"]', "77-QĐ/ĐU")
    page.fill('input[name="decision_date"]', today)
    page.click('main button[type="submit"]')
    expect(page.locator(".messages")).to_contain_text(cast.cell_o.name)
    screenshot(page, "member-received")
    member.refresh_from_db()
    assert (member.status, member.unit) == (Status.OFFICIAL, cast.cell_o)
