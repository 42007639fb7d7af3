"""In a real browser, as the board (issue 25): a death dated next month is refused with the
field named; a removal shows its confirm page and is saved only once confirmed; a mistaken
death is cancelled, the member is back on the roll, the year's figures no longer count it and
the timeline shows the cancelled event with the reason and who cancelled it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from members.models import Event, Member, Status
from members.services import member_record_death
from reports.figures import unit_figures
from tests.browser.test_staff_flows import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def dmy(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def test_a_death_dated_next_month_is_refused_with_the_field_named(
    page: Page, live_server, cast, screenshot
):
    member = cast.members.b
    sign_in(page, live_server, "board")
    page.goto(f"{live_server.url}/members/{member.pk}/death/")
    next_month = timezone.localdate() + datetime.timedelta(days=31)
    page.fill('input[name="effective_date"]', dmy(next_month))
    page.click('main button[type="submit"]')
    expect(page.locator("main")).to_contain_text("“Ngày từ trần”")
    expect(page.locator("main")).to_contain_text("sau hôm nay")
    expect(page.locator('input[name="effective_date"]')).to_have_value(dmy(next_month))
    screenshot(page, "death-next-month-refused")
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL


def test_a_removal_is_saved_only_after_its_confirm_page(page: Page, live_server, cast, screenshot):
    member = cast.members.b
    today = dmy(timezone.localdate())
    sign_in(page, live_server, "board")
    page.goto(f"{live_server.url}/members/{member.pk}/remove/")
    page.check('input[name="kind"][value="struck_off"]')
    page.select_option('select[name="reason"]', "unpaid_dues")
    page.fill('input[name="effective_date"]', today)
    page.fill('input[name="decision_no"]', "31-QĐ/QU")
    page.fill('input[name="decision_date"]', today)
    page.click('main button[type="submit"]')
    expect(page.locator("h1")).to_contain_text("Kiểm tra trước khi lưu")
    expect(page.locator("main")).to_contain_text(
        f"{member.full_name} sẽ không còn trong danh sách của {cast.tree.cell_b.name}"
    )
    screenshot(page, "removal-confirm")
    assert Member.objects.get(pk=member.pk).status == Status.OFFICIAL  # not yet
    page.click('button[name="confirmed"]')
    expect(page.locator("main")).to_contain_text("Đã ghi “Xóa tên”")
    assert Member.objects.get(pk=member.pk).status == Status.REMOVED


def test_a_mistaken_death_is_cancelled_and_counts_no_more(
    page: Page, live_server, cast, screenshot
):
    member = cast.members.b
    today = timezone.localdate()
    year = (today.replace(month=1, day=1), today.replace(month=12, day=31))
    death = member_record_death(member=member, effective_date=today)
    assert unit_figures(cast.tree.root, *year).all_events.died == 1

    sign_in(page, live_server, "board")
    page.goto(f"{live_server.url}/members/{member.pk}/")
    entry = page.locator("ol.timeline > li", has_text="Từ trần")
    entry.get_by_role("link", name="Hủy sự kiện ghi nhầm").click()
    page.fill('textarea[name="reason"]', "Ghi nhầm người: đảng viên vẫn còn sống")
    page.click('main button[type="submit"]')
    expect(page.locator("main")).to_contain_text("Đã hủy “Từ trần”")
    timeline = page.locator("ol.timeline li.cancelled")
    expect(timeline).to_contain_text("Từ trần")
    expect(timeline).to_contain_text("Ghi nhầm người: đảng viên vẫn còn sống")
    expect(timeline).to_contain_text("board")
    expect(page.locator("main .badge.official").first).to_be_visible()
    screenshot(page, "death-cancelled-timeline")

    member.refresh_from_db()
    assert (member.status, member.unit_id) == (Status.OFFICIAL, cast.tree.cell_b.pk)
    assert Event.objects.get(pk=death.pk).cancelled_by.username == "board"
    figures = unit_figures(cast.tree.root, *year)
    assert figures.all_events.died == 0
    assert figures.balance_difference == 0
