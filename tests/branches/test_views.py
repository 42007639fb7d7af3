"""The unit pages: the tree as it is today, and one unit (history, children, roll, figures)."""

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
from branches.services import unit_create, unit_dissolve, unit_move
from common.vntext import fold
from members.models import Member, Status
from members.search import ensure_names
from tests.conftest import FOUNDED, d

TREE = reverse("branches:unit_tree")


@contextlib.contextmanager
def on(day: str):
    """Today is ``day`` (noon in Vietnam) inside the block."""
    moment = datetime.datetime.combine(d(day), datetime.time(12), ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(moment, tick=False):
        yield


def url(unit: Unit) -> str:
    return reverse("branches:unit_detail", args=[unit.code])


def official_on_roll(unit: Unit, full_name: str, **fields) -> Member:
    """A member record written directly (no events): for lists that need many rows fast."""
    member = Member(
        full_name=full_name,
        gender=fields.pop("gender", "male"),
        date_of_birth=d("1980-01-01"),
        status=fields.pop("status", Status.OFFICIAL),
        unit=unit,
        record_unit=unit,
        admitted_on=d("2010-01-01"),
        **fields,
    )
    ensure_names([fold(full_name)])  # the writer keeps the name dictionary, not save()
    member.save()
    return member


def cell_under(parent: Unit, code: str, **fields) -> Unit:
    return unit_create(
        code=code,
        name=fields.pop("name", f"Chi bộ {code}"),
        kind=Unit.Kind.CELL,
        founded_on=fields.pop("founded_on", FOUNDED),
        parent=parent,
    )


def tree_for(client, user):
    client.force_login(user)
    response = client.get(TREE)
    assert response.status_code == 200
    return response


def shown(response) -> dict[str, tuple[int, int]]:
    """code → (depth, members in its subtree) as the tree shows them."""
    return {
        item["unit"].code: (item["depth"], item["unit"].subtree_members)
        for group in response.context["groups"]
        for item in group["items"]
        if "unit" in item
    }


# --- the tree ---------------------------------------------------------------------------


def test_tree_nests_the_units_and_sums_members_per_subtree(client, cast):
    t = cast.tree
    assert shown(tree_for(client, cast.users.board)) == {
        t.root.code: (0, 4),
        t.gc.code: (1, 2),
        t.cell_a.code: (2, 1),
        t.cell_b.code: (2, 1),
        t.gcell.code: (1, 1),
        cast.other.code: (1, 1),
        cast.cell_o.code: (2, 1),
    }


def test_tree_html_is_nested_lists_with_kinds_and_counts(client, cast):
    html = tree_for(client, cast.users.office).content.decode()
    gc_at = html.index(cast.tree.gc.name)
    assert html.index("<ul>", gc_at) < html.index(cast.tree.cell_a.name)
    assert "Đảng bộ cơ sở" in html and "Chi bộ" in html
    assert "2 đảng viên" in html
    assert reverse("branches:unit_detail", args=[cast.tree.cell_a.code]) in html


def test_tree_counts_only_members_on_a_roll_now(client, cast):
    official_on_roll(cast.tree.cell_b, "Lê Văn Còn")
    Member.objects.filter(pk=cast.members.b.pk).update(status=Status.DEAD, unit=None)
    assert shown(tree_for(client, cast.users.office))[cast.tree.cell_b.code] == (1, 1)


def test_tree_starts_at_the_role_units_under_their_parent_name(client, cast):
    response = tree_for(client, cast.users.secretary)
    (group,) = response.context["groups"]
    assert group["parent"] == cast.tree.gc
    assert shown(response) == {cast.tree.cell_b.code: (0, 1)}
    assert "Trực thuộc Đảng bộ phường Thốt Nốt" in response.content.decode()


def test_tree_orders_siblings_word_by_word(client, cast):
    for code, name in (
        ("thoi-an", "Chi bộ khu vực Thới An"),
        ("tan-an", "Chi bộ khu vực Tân An"),
        ("dong-an", "Chi bộ khu vực Đông An"),
        ("da-kao", "Chi bộ khu vực Da Kao"),
    ):
        cell_under(cast.tree.gc, code, name=name)
    response = tree_for(client, cast.users.office)
    siblings = [
        item["unit"].name
        for group in response.context["groups"]
        for item in group["items"]
        if "unit" in item and item["depth"] == 1
    ]
    assert siblings == [
        "Chi bộ khu vực Da Kao",
        "Chi bộ khu vực Đông An",  # đ is its own letter, after d
        "Chi bộ khu vực Long Thạnh 1",
        "Chi bộ khu vực Long Thạnh 2",
        "Chi bộ khu vực Tân An",
        "Chi bộ khu vực Thới An",
    ]


def test_dissolved_units_are_listed_apart_with_their_dates(client, cast):
    old = cell_under(cast.tree.gc, "cu", name="Chi bộ khu vực Cũ")
    unit_dissolve(unit=old, on=d("2020-07-01"), successor=cast.tree.cell_a)
    response = tree_for(client, cast.users.office)
    assert old.code not in shown(response)
    assert [u.code for u in response.context["dissolved"]] == [old.code]
    html = response.content.decode()
    assert "Đơn vị đã giải thể" in html
    assert "01/07/2020" in html and "01/01/2010" in html
    assert html.index("Đơn vị đã giải thể") < html.index("Chi bộ khu vực Cũ")


def test_a_unit_moved_out_of_scope_stays_visible_under_its_new_parent(client, cast):
    with on("2023-01-01"):
        unit_move(unit=cast.tree.cell_b, new_parent=cast.other, on=d("2022-07-01"))
    office = tree_for(client, cast.users.office)
    assert shown(office)[cast.tree.cell_b.code] == (0, 1)
    moved = [g for g in office.context["groups"] if g["parent"] == cast.other]
    assert [i["unit"].code for i in moved[0]["items"] if "unit" in i] == [cast.tree.cell_b.code]
    board = tree_for(client, cast.users.board)
    assert shown(board)[cast.tree.cell_b.code] == (2, 1)  # root › other › cell_b
    assert shown(board)[cast.other.code] == (1, 2)


def test_tree_is_as_of_today(client, cast):
    unit_move(unit=cast.tree.cell_b, new_parent=cast.other, on=d("2022-07-01"))
    with on("2022-06-30"):
        before = shown(tree_for(client, cast.users.board))
    with on("2022-07-01"):
        after = shown(tree_for(client, cast.users.board))
    assert before[cast.tree.gc.code] == (1, 2)
    assert after[cast.tree.gc.code] == (1, 1)
    assert after[cast.other.code] == (1, 2)


def test_nobody_gets_an_empty_tree(client, cast):
    response = tree_for(client, cast.users.nobody)
    assert response.context["groups"] == []
    assert "Không có đơn vị nào" in response.content.decode()


# session, user; units with their members now; today's parent links; the menu.
TREE_QUERIES = 5


def test_unit_tree_query_count(client, cast, django_assert_num_queries):
    client.force_login(cast.users.board)
    with django_assert_num_queries(TREE_QUERIES):
        client.get(TREE)


def test_unit_tree_queries_do_not_grow_with_units(client, cast):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(TREE)
        return len(ctx.captured_queries), len(shown(response))

    client.force_login(cast.users.board)
    for n in range(3):
        official_on_roll(cell_under(cast.other, f"moi-{n}"), f"Đào Văn {n}")
    few, units_few = count()
    for n in range(3, 30):
        official_on_roll(cell_under(cast.other, f"moi-{n}"), f"Đào Văn {n}")
    many, units_many = count()
    assert units_many - units_few == 27
    assert few == many == TREE_QUERIES


# --- one unit ---------------------------------------------------------------------------


def detail(client, user, unit, **params):
    client.force_login(user)
    return client.get(url(unit), params)


def test_unit_page_shows_its_facts_parents_and_children(client, cast):
    response = detail(client, cast.users.board, cast.tree.gc)
    assert response.status_code == 200
    links = response.context["parent_links"]
    assert [(link.parent, link.valid_from, link.valid_to) for link in links] == [
        (cast.tree.root, FOUNDED, None)
    ]
    children = {link.unit.code: link.members_now for link in response.context["child_links"]}
    assert children == {cast.tree.cell_a.code: 1, cast.tree.cell_b.code: 1}
    html = response.content.decode()
    assert "Đảng bộ cơ sở" in html and "01/01/2010" in html
    assert response.context["page"] is None  # a committee keeps no roll


def test_parent_history_after_a_move(client, cast):
    unit_move(unit=cast.tree.cell_b, new_parent=cast.other, on=d("2022-07-01"))
    response = detail(client, cast.users.office, cast.tree.cell_b)
    links = [(x.parent, x.valid_from, x.valid_to) for x in response.context["parent_links"]]
    assert links == [(cast.tree.gc, FOUNDED, d("2022-07-01")), (cast.other, d("2022-07-01"), None)]
    # The office may not open the new parent: its name is shown, without a link.
    html = response.content.decode()
    assert cast.other.name in html
    assert url(cast.other) not in html
    assert url(cast.tree.gc) in html


def test_children_count_their_whole_subtree(client, cast):
    response = detail(client, cast.users.board, cast.tree.root)
    children = {link.unit.code: link.members_now for link in response.context["child_links"]}
    assert children == {cast.tree.gc.code: 2, cast.tree.gcell.code: 1, cast.other.code: 1}


def test_childrens_members_are_counted_from_the_closure_joined_directly(client, cast):
    # Not through the units' table, which the count does not read (``ClosureRows``).
    with CaptureQueriesContext(connection) as ctx:
        detail(client, cast.users.board, cast.tree.root)
    (children,) = [q["sql"] for q in ctx.captured_queries if '"members_member" U0' in q["sql"]]
    assert re.search(
        r'FROM "members_member" U0 INNER JOIN "branches_unitancestry" (U\d+) '
        r'ON \(U0\."unit_id" = \1\."unit_id"\)',
        children,
    ), children


def test_dissolved_unit_names_its_successor(client, cast):
    old = cell_under(cast.tree.gc, "cu")
    unit_dissolve(unit=old, on=d("2020-07-01"), successor=cast.tree.cell_a)
    response = detail(client, cast.users.office, old)
    assert response.status_code == 200
    assert response.context["successor"] == cast.tree.cell_a
    html = response.content.decode()
    assert "Ngày giải thể" in html and "01/07/2020" in html
    assert url(cast.tree.cell_a) in html


def test_cell_roll_in_vietnamese_order_with_status_badges(client, cast):
    cell = cell_under(cast.tree.gc, "roll")
    for name in ["Phạm Văn Đức", "Lê Thị Dung", "Nguyễn Văn Bình", "Trần Thị Ánh", "Lê Văn An"]:
        official_on_roll(cell, name)
    official_on_roll(cell, "Hồ Văn Dự", status=Status.PROBATIONARY)
    response = detail(client, cast.users.office, cell)
    assert [m.full_name for m in response.context["page"].object_list] == [
        "Lê Văn An",
        "Trần Thị Ánh",
        "Nguyễn Văn Bình",
        "Lê Thị Dung",
        "Hồ Văn Dự",  # u before ư
        "Phạm Văn Đức",
    ]
    html = response.content.decode()
    assert '<span class="badge probationary">Dự bị</span>' in html
    assert '<span class="badge official">Chính thức</span>' in html


def test_cell_roll_leaves_out_members_who_left(client, cast):
    Member.objects.filter(pk=cast.members.b.pk).update(status=Status.REMOVED, unit=None)
    response = detail(client, cast.users.office, cast.tree.cell_b)
    assert list(response.context["page"].object_list) == []


def test_cell_roll_is_paged_by_50_and_keeps_the_period(client, cast):
    for n in range(51):
        official_on_roll(cast.tree.cell_b, f"Đinh Văn {n:02d}")
    response = detail(client, cast.users.office, cast.tree.cell_b, **{"from": "01/01/2021"})
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list)) == (52, 50)
    assert "from=01%2F01%2F2021&amp;page=2" in response.content.decode()
    second = detail(client, cast.users.office, cast.tree.cell_b, page="2")
    assert len(second.context["page"].object_list) == 2


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", ""])
def test_bad_page_gives_a_page(client, cast, page):
    response = detail(client, cast.users.office, cast.tree.cell_b, page=page)
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_figures_default_to_2020_until_today(client, cast):
    with on("2023-06-01"):
        response = detail(client, cast.users.office, cast.tree.gc)
    f = response.context["figures"]
    assert (f.start, f.end) == (d("2020-01-01"), d("2023-06-01"))
    assert (f.members_at_start, f.flows.admitted, f.members_at_end) == (1, 1, 2)
    html = response.content.decode()
    assert 'value="01/01/2020"' in html and 'value="01/06/2023"' in html
    assert '<div class="figures">' in html


def test_figures_for_the_period_asked(client, cast):
    response = detail(
        client, cast.users.office, cast.tree.cell_a, **{"from": "01/01/2022", "to": "31/12/2022"}
    )
    f = response.context["figures"]
    assert (f.start, f.end) == (d("2022-01-01"), d("2022-12-31"))
    assert (f.members_at_start, f.flows.admitted, f.members_at_end) == (0, 1, 1)
    response = detail(
        client, cast.users.office, cast.tree.cell_a, **{"from": "01/01/2023", "to": "31/12/2023"}
    )
    assert response.context["figures"].flows.admitted == 0


@pytest.mark.parametrize(
    "params",
    [
        {"from": "32/13/2022"},
        {"from": "abc"},
        {"to": "2022-02-30"},
        {"from": "01/01/0001"},
        {"from": "31/12/2022", "to": "01/01/2022"},
        {"to": "99/99/99999"},
    ],
)
def test_bad_period_is_a_form_error_never_500(client, cast, params):
    response = detail(client, cast.users.office, cast.tree.gc, **params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["figures"] is None
    assert 'class="error"' in response.content.decode()


# Cell: session, user; get_unit; parent links; children; roll count and page; 3 for the
# figures; the menu.
CELL_QUERIES = 11
# A committee keeps no roll.
COMMITTEE_QUERIES = 9


def test_unit_detail_query_count(client, cast, django_assert_num_queries):
    client.force_login(cast.users.board)
    with django_assert_num_queries(CELL_QUERIES):
        client.get(url(cast.tree.cell_b))
    with django_assert_num_queries(COMMITTEE_QUERIES):
        client.get(url(cast.tree.gc))


def test_unit_detail_queries_do_not_grow_with_children_or_members(
    client, cast, django_assert_num_queries
):
    for n in range(10):
        official_on_roll(cell_under(cast.tree.gc, f"them-{n}"), f"Cao Văn {n}")
        official_on_roll(cast.tree.cell_b, f"Cao Thị {n}")
    client.force_login(cast.users.board)
    with django_assert_num_queries(CELL_QUERIES):
        client.get(url(cast.tree.cell_b))
    with django_assert_num_queries(COMMITTEE_QUERIES):
        client.get(url(cast.tree.gc))
