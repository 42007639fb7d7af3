"""The member list (filters, search, sort, paging) and a member's record page."""

from __future__ import annotations

import contextlib
import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Unit
from branches.services import unit_create
from common.vntext import fold
from members import choices
from members.models import Member, RecordView, Status
from members.search import ensure_names
from members.services import (
    member_exempt,
    member_recognize,
    member_record_save,
    member_temporary_transfer,
)
from tests.conftest import FOUNDED, admit, admit_official, d, make_decision

LIST = reverse("members:member_list")


@contextlib.contextmanager
def on(day: str):
    """Today is ``day`` (noon in Vietnam) inside the block."""
    moment = datetime.datetime.combine(d(day), datetime.time(12), ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(moment, tick=False):
        yield


def listed(client, user, **params) -> list[Member]:
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def names(members) -> list[str]:
    return [m.full_name for m in members]


def official_on_roll(unit: Unit, full_name: str, **fields) -> Member:
    """A member record written directly (no events): for lists that need many rows fast."""
    member = Member(
        full_name=full_name,
        gender=fields.pop("gender", "male"),
        date_of_birth=fields.pop("date_of_birth", d("1980-01-01")),
        status=fields.pop("status", Status.OFFICIAL),
        unit=unit,
        record_unit=unit,
        admitted_on=fields.pop("admitted_on", d("2010-01-01")),
        **fields,
    )
    ensure_names([fold(full_name)])
    member.save()
    return member


def new_cell(cast, code: str) -> Unit:
    return unit_create(
        code=code,
        name=f"Chi bộ {code}",
        kind=Unit.Kind.CELL,
        founded_on=FOUNDED,
        parent=cast.tree.gc,
    )


# --- search -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["nguyen van ly", "Nguyễn Văn Lý", "NGUYEN VAN LY", "  nguyễn   văn LÝ "]
)
def test_search_ignores_accents_case_and_spaces(client, cast, text):
    ly = admit(cast.tree.cell_b, d("2020-01-01"), full_name="Nguyễn Văn Lý")
    admit(cast.tree.cell_b, d("2020-01-01"), full_name="Nguyễn Văn Lợi")
    assert [m.pk for m in listed(client, cast.users.board, q=text)] == [ly.pk]


@pytest.mark.parametrize("text", ["dong", "Đông", "DONG", "vo van d"])
def test_search_finds_đ_by_d(client, cast, text):
    assert [m.pk for m in listed(client, cast.users.board, q=text)] == [cast.members.o.pk]


def test_search_matches_exact_citizen_id_and_card_number(client, cast):
    m = admit(
        cast.tree.cell_b,
        d("2020-01-01"),
        full_name="Hà Văn Số",
        citizen_id="092085001234",
        party_card_no="92001234",
    )
    assert names(listed(client, cast.users.board, q="092085001234")) == [m.full_name]
    assert names(listed(client, cast.users.board, q="92001234")) == [m.full_name]
    assert listed(client, cast.users.board, q="0920850") == []  # not a prefix search


def test_search_never_reaches_outside_the_scope(client, cast):
    assert listed(client, cast.users.secretary, q="dong") == []
    assert listed(client, cast.users.office, q=cast.members.g.full_name) == []


def test_search_combines_with_the_other_filters(client, cast):
    admit(cast.tree.cell_b, d("2020-01-01"), full_name="Võ Thị Đông", gender="female")
    found = listed(client, cast.users.board, q="dong", gender="male")
    assert [m.pk for m in found] == [cast.members.o.pk]


# --- sort -------------------------------------------------------------------------------

FIVE = ["Lê Văn An", "Trần Thị Ánh", "Nguyễn Văn Bình", "Phạm Văn Đức", "Lê Thị Dung"]


def test_names_sort_the_vietnamese_way_by_given_name(client, cast):
    cell = new_cell(cast, "c-sort")
    for name in reversed(FIVE):
        official_on_roll(cell, name)
    expected = ["Lê Văn An", "Trần Thị Ánh", "Nguyễn Văn Bình", "Lê Thị Dung", "Phạm Văn Đức"]
    assert names(listed(client, cast.users.board, unit=cell.pk)) == expected
    assert names(listed(client, cast.users.board, unit=cell.pk, sort="-name")) == expected[::-1]


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("dob", lambda m: m.date_of_birth, False),
        ("-dob", lambda m: m.date_of_birth, True),
        ("admitted", lambda m: m.admitted_on, False),
        ("-admitted", lambda m: m.admitted_on, True),
    ],
)
def test_sort_columns(client, cast, sort, key, reverse):
    cell = new_cell(cast, "c-cols")
    for n, (born, admitted) in enumerate(
        [("1970-01-01", "2001-01-01"), ("1990-01-01", "1999-01-01")]
    ):
        official_on_roll(cell, f"Người {n}", date_of_birth=d(born), admitted_on=d(admitted))
    shown = listed(client, cast.users.board, sort=sort)
    assert len(shown) == 6
    assert [key(m) for m in shown] == sorted((key(m) for m in shown), reverse=reverse)


def test_sort_by_unit_then_name(client, cast):
    # Unit names are ordered by the database's collation: compare with its own order.
    new_cell(cast, "c-units")
    expected = list(Member.objects.order_by("record_unit__name", "name_sort_key", "pk"))
    assert listed(client, cast.users.board, sort="unit") == expected
    assert listed(client, cast.users.board, sort="-unit") == expected[::-1]


@pytest.mark.parametrize(
    "sort", ["evil", "-", "--name", "name; drop table", "record_unit__name", ""]
)
def test_unknown_sort_falls_back_to_name(client, cast, sort):
    client.force_login(cast.users.board)
    response = client.get(LIST, {"sort": sort})
    assert response.status_code == 200
    assert response.context["sort"] == "name"
    shown = [m.name_sort_key for m in response.context["page"].object_list]
    assert shown == sorted(shown)


# --- filters ----------------------------------------------------------------------------


@pytest.fixture
def varied(cast):
    """Besides the cast's four (born 17/05/1985; a is a woman on probation since 2022):
    y, young (born 2000), admitted 2021; k, a Khmer Hòa Hảo follower born 1960."""
    y = admit(cast.tree.cell_b, d("2021-06-01"), born=d("2000-01-01"), full_name="Lý Văn Trẻ")
    k = admit_official(
        cast.tree.cell_a,
        d("2015-01-05"),
        born=d("1960-01-01"),
        full_name="Thạch Văn Sóc",
        ethnicity=choices.Ethnicity.KHMER,
        religion=choices.Religion.HOA_HAO,
    )
    return {**vars(cast.members), "y": y, "k": k}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"a", "b", "g", "o", "y", "k"}),
        ({"status": "probationary"}, {"a", "y"}),
        ({"status": "official"}, {"b", "g", "o", "k"}),
        ({"status": "active"}, {"a", "b", "g", "o", "y", "k"}),
        ({"status": "removed"}, set()),
        ({"gender": "female"}, {"a"}),
        ({"ethnicity": "05"}, {"k"}),
        ({"religion": "hoa_hao"}, {"k"}),
        ({"age": "18-30"}, {"y"}),
        ({"age": "31-40"}, {"a", "b", "g", "o"}),
        ({"age": "41-50"}, set()),
        ({"age": "61+"}, {"k"}),
        ({"admitted_year": "2022"}, {"a"}),
        ({"admitted_year": "2015"}, {"b", "k"}),
        ({"unit": "gc"}, {"a", "b", "y", "k"}),
        ({"unit": "cell_a"}, {"a", "k"}),
        ({"unit": "root"}, {"a", "b", "g", "o", "y", "k"}),
        ({"unit": "gcell"}, {"g"}),
        ({"unit": "cell_b", "status": "probationary"}, {"y"}),
    ],
)
def test_each_filter_narrows(client, cast, varied, params, expected):
    units = {"gc": cast.tree.gc, "cell_a": cast.tree.cell_a, "cell_b": cast.tree.cell_b}
    units |= {"root": cast.tree.root, "gcell": cast.tree.gcell}
    if "unit" in params:
        params = {**params, "unit": units[params["unit"]].pk}
    with on("2023-06-01"):
        shown = listed(client, cast.users.board, **params)
    assert {m.pk for m in shown} == {varied[key].pk for key in expected}


def test_age_band_turns_on_the_birthday(client, cast):
    # member_b was born on 17/05/1985: 30 the day before their 31st birthday, then 31.
    with on("2016-05-16"):
        assert cast.members.b in listed(client, cast.users.board, age="18-30")
        assert cast.members.b not in listed(client, cast.users.board, age="31-40")
    with on("2016-05-17"):
        assert cast.members.b not in listed(client, cast.users.board, age="18-30")
        assert cast.members.b in listed(client, cast.users.board, age="31-40")


def test_unit_choices_are_the_visible_units_only(client, cast):
    client.force_login(cast.users.office)
    field = client.get(LIST).context["form"].fields["unit"]
    assert set(field.queryset) == {cast.tree.gc, cast.tree.cell_a, cast.tree.cell_b}


@pytest.mark.parametrize("unit", ["outside", "999999", "abc"])
def test_out_of_scope_unit_is_a_form_error_and_shows_no_one(client, cast, unit):
    value = cast.cell_o.pk if unit == "outside" else unit
    client.force_login(cast.users.office)
    response = client.get(LIST, {"unit": value})
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert list(response.context["page"].object_list) == []
    html = response.content.decode()
    assert cast.members.o.full_name not in html
    assert 'class="error"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"gender": "x"},
        {"age": "200-300"},
        {"admitted_year": "20x2"},
        {"admitted_year": "99999999999999999999"},
        {"admitted_year": "2020.5"},
        {"ethnicity": "99"},
    ],
)
def test_bad_filter_values_are_form_errors_never_500(client, cast, params):
    client.force_login(cast.users.board)
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert list(response.context["page"].object_list) == []


# --- paging -----------------------------------------------------------------------------


def test_pages_of_50_keep_the_filters(client, cast):
    for n in range(55):
        official_on_roll(cast.tree.cell_b, f"Đinh Văn {n:02d}")
    client.force_login(cast.users.board)
    response = client.get(LIST, {"status": "official", "sort": "-dob"})
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list), page.paginator.num_pages) == (58, 50, 2)
    html = response.content.decode()
    assert "?status=official&amp;sort=-dob&amp;page=2" in html
    second = client.get(LIST, {"status": "official", "sort": "-dob", "page": "2"})
    assert len(second.context["page"].object_list) == 8


@pytest.mark.parametrize(("page", "number"), [("abc", 1), ("0", 1), ("-3", 1), ("999", 1), ("", 1)])
def test_bad_page_numbers_give_a_page(client, cast, page, number):
    client.force_login(cast.users.board)
    response = client.get(LIST, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == number


# --- the rows -----------------------------------------------------------------------------


def test_each_row_shows_the_member_escaped_with_labels_and_dd_mm_yyyy(client, cast):
    cell = new_cell(cast, "c-rows")
    cell.name = "Chi bộ <Ấp 1> & 2"
    cell.save()
    official_on_roll(
        cell,
        'Lê Thị "Bé" <b>Ba</b>',
        gender="female",
        date_of_birth=d("1985-03-07"),
        admitted_on=d("2009-11-30"),
        recognized_on=d("2010-11-30"),
    )
    probationer = official_on_roll(cell, "Trần Văn Tư", status=Status.PROBATIONARY)
    client.force_login(cast.users.board)
    html = client.get(LIST, {"unit": cell.pk}).content.decode()
    ba = Member.objects.get(record_unit=cell, gender="female")
    # Each cell carries its column's label, which the phone layout shows when rows reflow.
    html = re.sub(r'<td data-label="[^"]*">', "<td>", html)
    assert (
        f'<tr><td><a href="/members/{ba.pk}/">Lê Thị &quot;Bé&quot; &lt;b&gt;Ba&lt;/b&gt;</a></td>'
        "<td>Nữ</td><td>07/03/1985</td><td>Chi bộ &lt;Ấp 1&gt; &amp; 2</td>"
        '<td><span class="badge official">Chính thức</span></td>'
        "<td>30/11/2009</td><td>30/11/2010</td></tr>"
    ) in html
    # No recognition yet: a dash; the status of a probationer.
    assert (
        f'<a href="/members/{probationer.pk}/">Trần Văn Tư</a></td><td>Nam</td><td>01/01/1980</td>'
    ) in html
    assert (
        '<span class="badge probationary">Dự bị</span></td><td>01/01/2010</td><td>—</td></tr>'
    ) in html
    assert "<b>" not in html.split("<tbody>")[1].split("</tbody>")[0]


def test_rows_speak_the_users_language(client, cast):
    cell = new_cell(cast, "c-rows-en")
    official_on_roll(cell, "Trần Thị Năm", gender="female")
    client.force_login(cast.users.board)
    client.post(reverse("set_language"), {"language": "en", "next": LIST})
    html = client.get(LIST, {"unit": cell.pk}).content.decode()
    assert ">Female</td>" in html
    assert '<span class="badge official">Official</span>' in html
    client.post(reverse("set_language"), {"language": "vi", "next": LIST})
    html = client.get(LIST, {"unit": cell.pk}).content.decode()
    assert ">Nữ</td>" in html
    assert '<span class="badge official">Chính thức</span>' in html


# --- query counts -----------------------------------------------------------------------

# session, user; the user's roles (read once: the scope and the menu); the unit choices
# (their kinds counted, then listed); the count; the page's rows with their cells. (A search
# in name order: its matches counted with its page's ids, then the page's rows by id.)
LIST_QUERIES = 7


def test_member_list_query_count(client, cast, django_assert_num_queries):
    client.force_login(cast.users.board)
    with django_assert_num_queries(LIST_QUERIES):
        client.get(LIST)
    # A chosen unit is looked up once more, to validate it.
    with django_assert_num_queries(LIST_QUERIES + 1):
        response = client.get(LIST, {"unit": cast.tree.gc.pk, "q": "van", "sort": "unit"})
    assert list(response.context["page"].object_list) == [cast.members.b]
    for match, found in (("anywhere", 2), ("start", 1)):
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(LIST, {"q": "v", "match": match, "sort": "-name"})
        assert response.context["page"].paginator.count == found


def test_member_list_queries_do_not_grow_with_rows(client, cast):
    cell = new_cell(cast, "c-many")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST, {"unit": cell.pk})
        return len(ctx.captured_queries), len(response.context["page"].object_list)

    client.force_login(cast.users.board)
    for n in range(3):
        official_on_roll(cell, f"Mai Văn {n}")
    few, shown_few = count()
    for n in range(3, 30):
        official_on_roll(cell, f"Mai Văn {n}")
    many, shown_many = count()
    assert (shown_few, shown_many) == (3, 30)
    assert few == many


# --- a member's record ------------------------------------------------------------------


def detail(client, user, member):
    client.force_login(user)
    return client.get(reverse("members:member_detail", args=[member.pk]))


@pytest.mark.parametrize("role", ["board", "office", "leader", "admin"])
def test_opening_a_record_writes_a_record_view(client, cast, role):
    user = getattr(cast.users, role)
    assert detail(client, user, cast.members.a).status_code == 200
    view = RecordView.objects.get()
    assert (view.user, view.member) == (user, cast.members.a)


def test_secretary_opening_a_record_is_recorded_too(client, cast):
    detail(client, cast.users.secretary, cast.members.b)
    assert RecordView.objects.filter(user=cast.users.secretary, member=cast.members.b).exists()


def test_outsider_is_not_recorded_as_a_viewer(client, cast):
    assert detail(client, cast.users.secretary, cast.members.a).status_code == 404
    assert not RecordView.objects.exists()


def test_record_shows_the_form_fields_by_label(client, cast):
    html = detail(client, cast.users.office, cast.members.a).content.decode()
    for text in ("Giới tính", "Nữ", "Ngày sinh", "17/05/1985", "Dân tộc", "Kinh", "Tôn giáo"):
        assert text in html
    assert "Giáo dục phổ thông" in html and "Trung học phổ thông" in html
    assert "Là đoàn viên khi vào Đảng" in html


def test_timeline_lists_the_events_in_order_with_their_decisions(client, cast):
    member = cast.members.b  # admitted 04/05/2015, recognized 04/05/2016
    response = detail(client, cast.users.office, member)
    events = response.context["events"]
    assert [e.get_kind_display() for e in events] == ["Kết nạp", "Công nhận chính thức"]
    html = response.content.decode()
    assert html.index("04/05/2015") < html.index("04/05/2016")
    for e in events:
        assert e.decision_no in html
    assert "Lễ kết nạp ngày 04/05/2015" in html
    assert "Đảng ủy phường Thốt Nốt" in html  # issuing body


def test_probationary_member_shows_the_end_of_probation(client, cast):
    with on("2023-03-05"):
        response = detail(client, cast.users.office, cast.members.a)
    assert response.context["probation_ends"] == d("2023-03-01")
    assert 'class="overdue"' in response.content.decode()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("board", True),
        ("office", True),
        ("admin", True),
        ("secretary", False),
        ("leader", False),
    ],
)
def test_audit_trail_and_actions_only_for_editors(client, cast, role, sees):
    response = detail(client, getattr(cast.users, role), cast.members.b)
    html = response.content.decode()
    assert ("Lịch sử thay đổi" in html) is sees
    assert ("Lượt xem hồ sơ gần nhất" in html) is sees
    assert (reverse("members:member_edit", args=[cast.members.b.pk]) in html) is sees
    assert ("audit" in response.context) is sees


def test_audit_trail_names_the_changes_and_who_made_them(client, cast):
    member = cast.members.a
    member.full_name = "Trần Thị Ánh Hồng"
    member_record_save(member=member, user=cast.users.office)
    member_recognize(
        member=member, effective_date=d("2023-03-01"), decision=make_decision(d("2023-03-01"))
    )
    response = detail(client, cast.users.board, member)
    lines = [
        (line["field"], line["old"], line["new"])
        for entry in response.context["audit"]
        for line in entry["lines"]
    ]
    assert ("họ và tên", "Trần Thị Ánh", "Trần Thị Ánh Hồng") in lines
    assert ("trạng thái", "Dự bị", "Chính thức") in lines
    assert ("ngày chính thức", "—", "01/03/2023") in lines
    html = response.content.decode()
    assert "Trần Thị Ánh → Trần Thị Ánh Hồng" in html
    assert "office" in html  # who renamed


def test_record_views_listed_newest_first_up_to_20(client, cast):
    for _ in range(22):
        detail(client, cast.users.secretary, cast.members.b)
    response = detail(client, cast.users.office, cast.members.b)
    views = response.context["views"]
    assert len(views) == 20
    assert views[0].user == cast.users.office


# Board on a record: session, user; the user's roles (read once per request: the scope, the
# edit checks and the menu); get_member; RecordView insert; events; may_edit_member;
# member history; event history; last views.
DETAIL_QUERIES_EDITOR = 12  # + the cards, a transfer on its way (issue 24)
# A reader: no history and no views, and no editing role, so may_edit_member needs no query.
DETAIL_QUERIES_READER = 8


def test_member_detail_query_count(client, cast, django_assert_num_queries):
    url = reverse("members:member_detail", args=[cast.members.b.pk])
    client.force_login(cast.users.board)
    with django_assert_num_queries(DETAIL_QUERIES_EDITOR):
        client.get(url)
    client.force_login(cast.users.secretary)
    with django_assert_num_queries(DETAIL_QUERIES_READER):
        client.get(url)


def test_member_detail_queries_do_not_grow_with_history(client, cast, django_assert_num_queries):
    member = cast.members.b
    for n in range(6):
        member.residence = f"Khu vực {n}"
        member.save()
    for _ in range(5):
        RecordView.objects.create(user=cast.users.leader, member=member)
    client.force_login(cast.users.board)
    with django_assert_num_queries(DETAIL_QUERIES_EDITOR):
        response = client.get(reverse("members:member_detail", args=[member.pk]))
    changes = [e for e in response.context["audit"] if e["lines"]]
    assert len(changes) >= 6


def test_the_header_shows_exemption_and_temporary_transfer_and_offers_no_second_exemption(
    cast, client
):
    """Issue 25: what the member is now, in the header; no action the member cannot take."""
    member = cast.members.b
    Member.objects.filter(pk=member.pk).update(date_of_birth=datetime.date(1958, 1, 1))
    member.refresh_from_db()  # old enough to be exempted (R16)
    day = datetime.date(2023, 3, 1)
    member_exempt(
        member=member,
        effective_date=day,
        decision=make_decision(day),
        poor_health=True,
        on_request=True,
    )
    member_temporary_transfer(
        member=member,
        to_unit=None,
        destination="Đảng bộ xã Tân Lộc",
        effective_date=day,
        decision=make_decision(day),
        purpose="work",
        term_end=datetime.date(2023, 9, 1),
    )
    client.force_login(cast.users.board)
    html = client.get(reverse("members:member_detail", args=[member.pk])).content.decode()
    assert "Miễn sinh hoạt</dt><dd>từ ngày 01/03/2023" in html
    assert "Đảng bộ xã Tân Lộc · " in html
    assert f'href="{reverse("members:member_exempt", args=[member.pk])}"' not in html
