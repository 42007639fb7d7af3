"""The member list at scale: a capped count, search from the start of a name, a unit list
that stays short for a large scope, no scope filter for a superuser, and the indexes that
serve them on PostgreSQL."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Role, Unit, UnitAncestry
from branches.services import unit_dissolve, unit_move
from common.vntext import fold, name_sort_key
from common.widgets import FastSelect
from members import filters, search, selectors
from members.models import Member, MemberName, Status
from tests.members.test_views_browse import listed, names, new_cell, official_on_roll

LIST = reverse("members:member_list")


def unit_options(html: str) -> list[str]:
    """The values offered by the unit filter's <select> (and only that select's)."""
    select = re.search(r'<select name="unit"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the unit filter is on the page"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def selected_unit(html: str) -> list[str]:
    select = re.search(r'<select name="unit"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(1))


# --- the capped count ---------------------------------------------------------------------


def test_the_count_stops_at_the_cap_and_says_there_are_more(client, cast, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for n in range(6):
        official_on_roll(cast.tree.cell_b, f"Đinh Văn {n:02d}")
    client.force_login(cast.users.board)  # sees 4 + 6 = 10 members
    response = client.get(LIST)
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.capped, paginator.num_pages) == (5, True, 3)
    assert "hơn 5 đảng viên" in response.content.decode()
    # The last page holds the cap's last row; a narrower filter counts exactly again.
    last = client.get(LIST, {"page": "3"}).context["page"]
    assert len(last.object_list) == 1
    narrow = client.get(LIST, {"unit": cast.tree.cell_a.pk}).context["page"].paginator
    assert (narrow.count, narrow.capped) == (1, False)


def test_exactly_the_cap_is_not_more(client, cast, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    client.force_login(cast.users.board)  # exactly 4 members
    response = client.get(LIST)
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.capped) == (4, False)
    assert "Tìm thấy 4 đảng viên." in response.content.decode()


# --- search from the start of the name ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match", "found"),
    [
        ("le van", "start", ["Lê Văn Bình"]),
        ("LÊ V", "start", ["Lê Văn Bình"]),
        ("van binh", "start", []),
        ("van binh", "anywhere", ["Lê Văn Bình"]),
        ("van", "anywhere", ["Lê Văn Bình", "Võ Văn Đông"]),
        ("van", "", ["Lê Văn Bình", "Võ Văn Đông"]),
        ("vo", "start", ["Võ Văn Đông"]),
    ],
)
def test_search_anywhere_or_from_the_start(client, cast, text, match, found):
    assert names(listed(client, cast.users.admin, q=text, match=match)) == found


def test_an_exact_citizen_id_is_found_whatever_the_match(client, cast):
    member = cast.members.b
    member.citizen_id = "092080001234"
    member.save()
    assert listed(client, cast.users.board, q="092080001234", match="start") == [member]


@pytest.mark.parametrize("match", ["start", "anywhere"])
def test_a_party_card_number_is_found_exactly_and_a_text_without_digits_only_by_name(
    client, cast, match
):
    member = cast.members.b
    member.party_card_no = "52.012345"
    member.save()
    assert listed(client, cast.users.board, q=" 52.012345 ", match=match) == [member]
    assert listed(client, cast.users.board, q="52.0123", match=match) == []

    # Numbers have digits: a text with none is looked for in the names alone, so that the
    # database can answer it from the name indexes without reading the rows.
    def condition(text: str) -> str:
        searched = Member.objects.search(text, from_start=match == "start").values("pk")
        return str(searched.query).split(" WHERE ", 1)[1]

    assert "name_folded" in condition("nguyen van")
    assert "citizen_id" not in condition("nguyen van")
    assert "party_card_no" not in condition("nguyen van")
    assert "citizen_id" in condition("nguyen 1")


def test_an_unknown_match_is_a_form_error(client, cast):
    client.force_login(cast.users.board)
    response = client.get(LIST, {"q": "van", "match": "middle"})
    assert "match" in response.context["form"].errors
    assert list(response.context["page"].object_list) == []


# --- the unit list of a large scope -------------------------------------------------------


def test_kinds_are_listed_from_the_top_while_they_fit(cast, monkeypatch):
    K = Unit.Kind
    # The board's scope: 1 above grassroots, 2 committees, 1 grassroots cell and 3 cells.
    counts = Unit.objects.kinds_visible_to(cast.users.board, cap=filters.MAX_UNIT_OPTIONS)
    assert filters.listed_kinds(counts) == [
        K.ABOVE_GRASSROOTS,
        K.GRASSROOTS_COMMITTEE,
        K.GRASSROOTS_CELL,
        K.CELL,
    ]
    monkeypatch.setattr(filters, "MAX_UNIT_OPTIONS", 4)
    assert filters.listed_kinds(counts) == [
        K.ABOVE_GRASSROOTS,
        K.GRASSROOTS_COMMITTEE,
        K.GRASSROOTS_CELL,
    ]
    monkeypatch.setattr(filters, "MAX_UNIT_OPTIONS", 1)
    assert filters.listed_kinds(counts) == [K.ABOVE_GRASSROOTS]
    monkeypatch.setattr(filters, "MAX_UNIT_OPTIONS", 0)  # the top kind, whatever its size
    assert filters.listed_kinds(counts) == [K.ABOVE_GRASSROOTS]


def test_the_kinds_in_a_scope_are_counted_up_to_the_cap_in_one_query(
    cast, django_assert_num_queries
):
    K = Unit.Kind
    expected = {
        K.ABOVE_GRASSROOTS: 1,
        K.GRASSROOTS_COMMITTEE: 2,
        K.INTERMEDIATE_COMMITTEE: 0,
        K.GRASSROOTS_CELL: 1,
        K.CELL: 3,
    }
    for user in (cast.users.board, cast.users.admin):  # a role at the root; no role needed
        Role.objects.unit_ids_of(user)  # the roles, read once per request
        with django_assert_num_queries(1):
            assert Unit.objects.kinds_visible_to(user, cap=10) == expected
    # Each kind up to cap + 1: enough to tell that 3 cells do not fit in a list of 1.
    assert Unit.objects.kinds_visible_to(cast.users.board, cap=1)[K.CELL] == 2
    assert Unit.objects.kinds_visible_to(cast.users.office, cap=10) == {
        **dict.fromkeys(expected, 0),
        K.GRASSROOTS_COMMITTEE: 1,
        K.CELL: 2,
    }
    Role.objects.unit_ids_of(cast.users.nobody)
    with django_assert_num_queries(0):  # no role, nothing to count
        assert set(Unit.objects.kinds_visible_to(cast.users.nobody, cap=10).values()) == {0}


def test_a_unit_that_left_a_scope_and_came_back_is_counted_once(cast):
    tree = cast.tree
    unit_move(unit=tree.cell_a, new_parent=cast.other, on=datetime.date(2021, 1, 1))
    unit_move(unit=tree.cell_a, new_parent=tree.gc, on=datetime.date(2022, 1, 1))
    # Two periods under the grassroots organization: two closure rows, one unit.
    assert UnitAncestry.objects.filter(unit=tree.cell_a, ancestor=tree.gc).count() == 2
    office = cast.users.office
    assert Unit.objects.kinds_visible_to(office, cap=10)[Unit.Kind.CELL] == 2
    assert Unit.objects.kinds_visible_to(office, cap=1)[Unit.Kind.CELL] == 2


def test_the_units_of_some_kinds_in_a_scope(cast):
    K = Unit.Kind
    tree = cast.tree
    upper = [K.ABOVE_GRASSROOTS, K.GRASSROOTS_COMMITTEE]
    board = Unit.objects.visible_to(cast.users.board, unit_kinds=upper)
    assert set(board) == {tree.root, tree.gc, cast.other}
    office = Unit.objects.visible_to(cast.users.office, unit_kinds=[K.CELL])
    assert set(office) == {tree.cell_a, tree.cell_b}
    admin = Unit.objects.visible_to(cast.users.admin, unit_kinds=[K.GRASSROOTS_CELL])
    assert set(admin) == {tree.gcell}


def test_a_large_scope_lists_the_upper_kinds_but_accepts_any_unit(client, cast, monkeypatch):
    monkeypatch.setattr(filters, "MAX_UNIT_OPTIONS", 3)
    client.force_login(cast.users.board)
    tree = cast.tree
    html = client.get(LIST).content.decode()
    assert unit_options(html) == ["", str(tree.root.pk), str(tree.gc.pk), str(cast.other.pk)]
    # A cell, as the tree's pages link to it: it filters, and it is listed, chosen.
    response = client.get(LIST, {"unit": tree.cell_b.pk})
    assert list(response.context["page"].object_list) == [cast.members.b]
    html = response.content.decode()
    assert str(tree.cell_b.pk) in unit_options(html)
    assert str(tree.cell_a.pk) not in unit_options(html)
    assert selected_unit(html) == [str(tree.cell_b.pk)]


def test_the_unit_options_name_each_unit_and_when_it_was_dissolved(client, cast):
    gone = new_cell(cast, "c-gone")
    unit_dissolve(unit=gone, on=datetime.date(2024, 6, 30))
    client.force_login(cast.users.board)
    html = client.get(LIST).content.decode()
    select = re.search(r'<select name="unit"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert f'<option value="{gone.pk}">Chi bộ c-gone (giải thể 30/06/2024)</option>' in select
    cell = cast.tree.cell_b
    assert f'<option value="{cell.pk}">{cell.name}</option>' in select
    chosen = client.get(LIST, {"unit": gone.pk}).content.decode()
    assert f'<option value="{gone.pk}" selected>Chi bộ c-gone (giải thể' in chosen


def test_a_unit_outside_the_scope_is_not_listed_even_when_asked_for(client, cast, monkeypatch):
    monkeypatch.setattr(filters, "MAX_UNIT_OPTIONS", 1)
    client.force_login(cast.users.office)
    response = client.get(LIST, {"unit": cast.cell_o.pk})
    assert "unit" in response.context["form"].errors
    assert str(cast.cell_o.pk) not in unit_options(response.content.decode())


def test_a_cell_asked_for_costs_one_query_more(
    client, cast, monkeypatch, django_assert_num_queries
):
    from tests.members.test_views_browse import LIST_QUERIES

    monkeypatch.setattr(filters, "MAX_UNIT_OPTIONS", 3)
    client.force_login(cast.users.board)
    # the lookup that validates it, and the one that lists it beside the upper kinds
    with django_assert_num_queries(LIST_QUERIES + 2):
        client.get(LIST, {"unit": cast.tree.cell_b.pk})


# --- the superuser's list -----------------------------------------------------------------


def test_a_superuser_sees_everyone_with_no_scope_condition(cast):
    cell = new_cell(cast, "c-new")
    stray = official_on_roll(cell, "Hồ Thị Mới")
    admin = cast.users.admin
    everyone = Member.objects.visible_to(admin)
    assert set(everyone) == set(Member.objects.all())
    assert stray in everyone
    assert " WHERE " not in str(everyone.query)
    # A user with a role still gets the scope's condition.
    assert " WHERE " in str(Member.objects.visible_to(cast.users.board).query)


# --- the indexes behind the list on PostgreSQL --------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes and planner"
)


def plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def crowd(cast):
    """5,000 more members in the cast's cells, none of them a "nguyen van", and statistics
    taken: on a handful of rows every index costs the planner next to nothing, and it picks
    among them by accident."""
    cells = [cast.tree.cell_a, cast.tree.cell_b]
    crowd = []
    for n in range(5000):
        member = Member(
            full_name=f"Phạm Thị Hoa {n:04d}",
            gender="female",
            date_of_birth=datetime.date(1980, 1, 1),
            status=Status.OFFICIAL,
            unit=cells[n % 2],
            record_unit=cells[n % 2],
            admitted_on=datetime.date(2010, 1, 1),
        )
        member.name_folded, member.name_sort_key = (
            fold(member.full_name),
            name_sort_key(member.full_name),
        )
        crowd.append(member)
    # Written in bulk, as the synthetic generator does: the names first.
    names = [MemberName.of(member.name_folded) for member in crowd]
    MemberName.objects.bulk_create(names, ignore_conflicts=True)
    Member.objects.bulk_create(crowd)
    with connection.cursor() as cursor:
        # The trigram index's new entries into its tree (as autovacuum would), then statistics.
        cursor.execute("SELECT gin_clean_pending_list('membername_trgm_idx'::regclass)")
        cursor.execute("ANALYZE members_member")
        cursor.execute("ANALYZE members_membername")


@postgresql_only
@pytest.mark.parametrize(
    ("search", "index"),
    [
        # The prefix's range seeks the name index; on the test's few rows PostgreSQL may as
        # well read the range off the (cell, name) index, which has the name second.
        ({"from_start": True}, ("member_name_prefix_idx", "member_record_name_idx")),
        # Anywhere: the names that contain it from the dictionary's trigram index, then
        # their members from the name index.
        ({"from_start": False}, ("membername_trgm_idx",)),
    ],
)
def test_name_searches_can_use_their_index(cast, crowd, search, index):
    # Unordered: the list's order is the next test's; here, only the match.
    matches = Member.objects.search("nguyen van", **search).order_by().values("pk")
    sql, params = matches.query.sql_with_params()
    chosen = plan(sql, params)
    assert any(name in chosen for name in index)
    if search["from_start"]:
        condition = next(line for line in chosen.splitlines() if "Index Cond" in line)
        assert "~>=~ 'nguyen van'" in condition and "~<~ 'nguyen vao'" in condition
        # The range is the whole condition: no LIKE (~~) tested again on each entry.
        assert "~~" not in chosen
    else:
        assert "member_name_prefix_idx" in chosen
        assert "Seq Scan on members_member" not in chosen


def scoped_matches(cast, from_start: bool):
    return Member.objects.visible_to(cast.users.board).search("nguyen van", from_start=from_start)


def assert_read_from_a_name_index(chosen: str, from_start: bool) -> None:
    # Anywhere in the name, a text rare in the data ("nguyen van" among the crowd's "pham thi
    # hoa") is looked up in the trigram index instead.
    names = ["member_record_name_idx", "member_name_prefix_idx" if from_start else "trgm_idx"]
    assert any(name in chosen for name in names)


@postgresql_only
@pytest.mark.parametrize("from_start", [True, False])
def test_a_search_in_a_scope_can_be_answered_from_the_name_and_cell_indexes(
    cast, crowd, from_start
):
    # The count of a scope's matches, with no row read: a seek per cell in (record cell,
    # folded name), or, from the start of the name, the name's range in (folded name, record
    # cell) joined to the scope (a province's count for "nguyen thi", national data: 208 →
    # 21 ms). The scope's table is the closure alone (no join back through the units).
    matches = scoped_matches(cast, from_start).order_by().values("pk")
    chosen = plan(*matches.query.sql_with_params())
    assert_read_from_a_name_index(chosen, from_start)
    assert "branches_unit " not in chosen


@postgresql_only
@pytest.mark.parametrize("from_start", [True, False])
def test_a_page_of_matches_is_sorted_from_the_name_indexes_not_walked_in_name_order(
    cast, crowd, from_start
):
    # The page's ids, in the byte-wise order of the sort key, which the (name, cell) and
    # (cell, name) indexes carry (INCLUDE): no walk of the name-order index, and the indexes
    # hold every column the ids query reads (an index-only scan on national data).
    matches = scoped_matches(cast, from_start).order_by(search.Bytewise("name_sort_key"), "pk")
    chosen = plan(*matches.values("pk")[:50].query.sql_with_params())
    assert "member_sort_idx" not in chosen
    assert_read_from_a_name_index(chosen, from_start)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname IN"
            " ('member_name_prefix_idx', 'member_record_name_idx')"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert len(definitions) == 2
    assert all("INCLUDE (name_sort_key, id)" in d for d in definitions)


@pytest.fixture
def committees(cast):
    """600 more committees under the cast's root, with their closure rows, and statistics
    taken: the root's rows are then many and its cells few, so that the (ancestor, kind) and
    (kind) indexes are the planner's clear choice (on a handful of rows it picks among the
    indexes by accident)."""
    kind = Unit.Kind.INTERMEDIATE_COMMITTEE
    day = datetime.date(2010, 1, 1)
    units = Unit.objects.bulk_create(
        Unit(code=f"dang-uy-{n:03d}", name=f"Đảng ủy {n:03d}", kind=kind, founded_on=day)
        for n in range(600)
    )
    UnitAncestry.objects.bulk_create(
        UnitAncestry(unit=unit, ancestor=cast.tree.root, valid_from=day, unit_kind=kind)
        for unit in units
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE branches_unit")
        cursor.execute("ANALYZE branches_unitancestry")


@postgresql_only
def test_the_units_of_a_kind_in_a_scope_are_read_from_the_closures_kind_index(cast, committees):
    # Counted up to the cap, and listed: a seek on (ancestor, kind) in the closure, no scan
    # of the units (a province's count by kind scanned all 306,000 units: 75 ms).
    links = UnitAncestry.objects.filter(ancestor=cast.tree.root, unit_kind=Unit.Kind.CELL)
    counted = links.values("unit_id").distinct()[:11]
    assert "unitancestry_kind_idx" in plan(*counted.query.sql_with_params())
    listed = Unit.objects.visible_to(cast.users.board, unit_kinds=[Unit.Kind.CELL])
    assert "unitancestry_kind_idx" in plan(*listed.query.sql_with_params())
    everyone = Unit.objects.visible_to(cast.users.admin, unit_kinds=[Unit.Kind.CELL])
    assert "unit_kind_idx" in plan(*everyone.query.sql_with_params())


@postgresql_only
def test_everyone_in_name_order_can_be_read_from_an_index(cast, crowd):
    query = Member.objects.visible_to(cast.users.admin).order_by("name_sort_key", "pk")[:50]
    sql, params = query.values("pk").query.sql_with_params()
    assert "member_sort_idx" in plan(sql, params)


@postgresql_only
@pytest.mark.parametrize("user", ["admin", "board"])
def test_a_walk_of_the_name_order_keeps_its_matches_from_the_index_alone(cast, crowd, user):
    # A prefix with more matches than the count's cap is listed by walking the name order
    # (``_sorts_matches``); the index carries the folded name and the record's cell, so the
    # walk tests each entry against the name and the scope without reading its row.
    matches = Member.objects.visible_to(getattr(cast.users, user)).search(
        "pham thi", from_start=True
    )
    walk = matches.order_by("name_sort_key", "pk").values("pk")[:50]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # the walk, as for a capped prefix
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    chosen = plan(*walk.query.sql_with_params())
    assert "Index Only Scan using member_sort_idx" in chosen


@postgresql_only
def test_the_dictionarys_names_have_one_pattern_index_the_one_with_their_floors(db):
    # Django's own ``_like`` copy of it cost the planner nearly the same, and it took one or
    # the other by the tables' bloat (migration 0013).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'members_membername'"
            " AND indexdef LIKE '%(name varchar_pattern_ops)%'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["membername_prefix_floor_idx"]


@postgresql_only
def test_a_walk_for_a_prefix_starts_at_its_names_floor_by_the_indexes(cast, crowd):
    # The prefix's least floor from the dictionary's index alone, then the name order's index
    # entered at it (an index condition, not a filter on every entry from the first name).
    walk = (
        Member.objects.search("pham thi", from_start=True)
        .from_floor_of_prefix("pham thi")
        .order_by("name_sort_key", "pk")
        .values("pk")[:50]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # the walk, as for a capped prefix
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    chosen = plan(*walk.query.sql_with_params())
    assert "Index Only Scan using membername_prefix_floor_idx" in chosen
    assert re.search(
        r"Index Only Scan using member_sort_idx .*\n\s+Index Cond: \(name_sort_key >= ", chosen
    ), chosen


# --- the unit list's markup ---------------------------------------------------------------


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, sorted(attrs)))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def markup(html: str) -> list[tuple]:
    parser = _Markup()
    parser.feed(html)
    return parser.items


@pytest.mark.parametrize("value", [None, "2", "9"])
def test_the_fast_select_writes_what_djangos_select_writes(value):
    choices = [
        ("", "Tất cả"),
        ("Đảng bộ cơ sở", [("1", 'Đảng bộ "A" & <B>'), ("2", "Đảng bộ phường Thốt Nốt")]),
        ("Chi bộ", [("9", "Chi bộ Long Thạnh 2")]),
    ]
    attrs = {"id": "id_unit", "required": True, "disabled": False, "data-x": "1"}
    fast = FastSelect(attrs=attrs, choices=choices).render("unit", value)
    django = forms.Select(attrs=attrs, choices=choices).render("unit", value)
    assert markup(fast) == markup(django)
    assert "&lt;B&gt;" in fast and "<B>" not in fast


@pytest.mark.django_db
def test_every_choice_of_the_member_filter_is_a_fast_select_with_djangos_markup():
    data = {"gender": "female", "ethnicity": "05", "status": "official", "match": "start"}
    form = filters.MemberFilter(data, queryset=Member.objects.none()).form
    selects = [
        name for name, field in form.fields.items() if isinstance(field.widget, forms.Select)
    ]
    assert {"match", "unit", "status", "gender", "ethnicity", "religion", "age"} <= set(selects)
    for name in selects:
        field = form[name]
        assert isinstance(field.field.widget, FastSelect), name
        if name == "unit":
            continue  # compared above; its choices need a user
        django = forms.Select(
            attrs=field.build_widget_attrs({"id": field.auto_id}), choices=field.field.choices
        )
        assert markup(str(field)) == markup(django.render(field.html_name, field.value())), name


# --- the queries behind the list ----------------------------------------------------------


def test_the_capped_count_asks_for_no_order(client, cast):
    client.force_login(cast.users.board)
    with CaptureQueriesContext(connection) as ctx:
        client.get(LIST)
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 1
    assert "ORDER BY" not in counts[0] and f"LIMIT {selectors.COUNT_CAP + 1}" in counts[0]


@pytest.mark.parametrize(
    ("params", "cap", "one_reading", "by_expression"),
    [
        ({}, 10_000, False, False),
        ({"q": "van"}, 10_000, True, True),
        ({"q": "van"}, 1, True, True),  # anywhere: sorted however many match
        ({"q": "le", "match": "start"}, 10_000, True, True),
        ({"q": "le", "match": "start"}, 1, False, False),  # over the cap: dense in the order
        ({"q": "van", "sort": "-name"}, 10_000, True, True),
        ({"q": "van", "sort": "dob"}, 10_000, False, False),
        ({"q": "  "}, 10_000, False, False),
    ],
)
def test_a_search_sorts_its_matches_instead_of_walking_the_name_index(
    client, cast, monkeypatch, params, cap, one_reading, by_expression
):
    monkeypatch.setattr(selectors, "COUNT_CAP", cap)
    official_on_roll(cast.tree.cell_a, "Lê Thị Vân")  # "le" from the start twice, "van" thrice
    client.force_login(cast.users.admin)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, params)
    sqls = [q["sql"] for q in ctx.captured_queries]
    reading = [sql for sql in sqls if sql.startswith('WITH "matches" AS (')]
    counts = [sql for sql in sqls if sql.startswith("SELECT COUNT(*)")]
    page = [
        sql
        for sql in sqls
        if sql.startswith('SELECT "members_member"."id"') and " IN (SELECT " in sql
    ]
    # A search in name order first reads its matches (from the start, the first cap + 1),
    # counted and sorted; that count is kept whatever follows: they are never counted again.
    by_name = bool(params.get("q", "").strip()) and params.get("sort", "name") in ("name", "-name")
    assert (len(reading), len(counts)) == ((1, 0) if by_name else (0, 1))
    if one_reading:
        # The page came from that reading: sliced from the sorted matches, rows read by id.
        assert page == []
        # From the start, the first cap + 1 matches; anywhere, all of them.
        assert (f"LIMIT {cap + 1}" in reading[0]) is (params.get("match") == "start")
        assert re.search(r'"key_"\)? COLLATE ("C"|BINARY)', reading[0])
    else:
        # The page's ids are ordered and sliced in a subquery; the outer query reads their rows.
        assert len(page) == 1
        ids = page[0][page[0].index(" IN (SELECT ") :]
        assert "LIMIT" in ids
        assert bool(re.search(r'"name_sort_key" COLLATE ("C"|BINARY)', ids)) == by_expression
    # The name order is the same either way: Vietnamese, by given name.
    shown = names(response.context["page"].object_list)
    if params.get("sort", "name") in ("name", "-name"):
        expected = sorted(shown, key=name_sort_key)
        assert shown == (expected[::-1] if params.get("sort") == "-name" else expected)
    if params.get("q", "").strip():
        assert shown


def test_a_search_in_name_order_pages_and_counts_from_one_reading(client, cast, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    made = [official_on_roll(cast.tree.cell_b, f"Đinh Văn {n:02d}") for n in (3, 1, 4, 0, 2)]
    in_order = sorted(made, key=lambda m: (m.name_sort_key, m.pk))
    client.force_login(cast.users.board)

    def page(number, **params):
        response = client.get(LIST, {"q": "dinh van", "page": number, **params})
        return response.context["page"]

    shown = []
    for number in ("1", "2", "3"):
        current = page(number)
        assert current.number == int(number)
        assert (current.paginator.count, current.paginator.capped) == (5, False)
        assert current.paginator.num_pages == 3
        assert current.has_next() is (number != "3")
        shown += list(current.object_list)
    assert shown == in_order
    assert list(page("1", sort="-name").object_list) == in_order[::-1][:2]
    # Past the last page, below the first or not a number: the pages get_page would give.
    assert [page(n).number for n in ("9", "0", "-1", "x", "")] == [3, 3, 3, 1, 1]
    assert list(page("9").object_list) == in_order[4:]
    # Nothing found: one empty page.
    none = client.get(LIST, {"q": "khong co ai"}).context["page"]
    assert (none.number, none.paginator.count, list(none.object_list)) == (1, 0, [])
    html = client.get(LIST, {"q": "khong co ai"}).content.decode()
    assert "Tìm thấy 0 đảng viên." in html and "Không có đảng viên nào khớp" in html


def test_a_search_over_the_cap_is_still_listed_in_order(client, cast, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    made = [official_on_roll(cast.tree.cell_b, f"Đinh Văn {n:02d}") for n in (3, 1, 4, 0, 2)]
    in_order = sorted(made, key=lambda m: (m.name_sort_key, m.pk))
    client.force_login(cast.users.board)
    for match in ("start", "anywhere"):
        pages = [
            client.get(LIST, {"q": "dinh van", "match": match, "page": n}).context["page"]
            for n in (1, 2)
        ]
        assert [(p.paginator.count, p.paginator.capped) for p in pages] == [(3, True)] * 2
        assert [m for p in pages for m in p.object_list] == in_order[:3]
        past = client.get(LIST, {"q": "dinh van", "match": match, "page": "3"}).context["page"]
        assert (past.number, list(past.object_list)) == (2, in_order[2:3])


def test_a_prefix_over_the_cap_is_walked_from_its_names_floor(client, cast, monkeypatch):
    # More matches than the cap: the page is found by walking the name order from the lowest
    # sort key the prefix's names can have, which keeps every match: plain and accented
    # spellings, and a name the floor stops short of ("ø" is not a plain letter).
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    spelled = ["Nguyễn Thị Ánh", "Nguyen Thi Anh", "Nguyễn Thị Ø", "Nguyễn Thị An", "Nguyễn Thị Ba"]
    made = [official_on_roll(cast.tree.cell_b, name) for name in spelled]
    for name in ("Lê Văn An", "Trần Thị Anh", "Nguyễn Văn An", "Nguyễn Thanh An"):
        official_on_roll(cast.tree.cell_b, name)  # in the walk's way, not matches
    in_order = sorted(made, key=lambda m: (m.name_sort_key, m.pk))
    client.force_login(cast.users.admin)
    shown = []
    for number in (1, 2):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(LIST, {"q": "Nguyễn thị", "match": "start", "page": number})
        page = page.context["page"]
        assert (page.paginator.count, page.paginator.capped) == (4, True)
        shown += page.object_list
        walk = [q["sql"] for q in ctx.captured_queries if '"members_membername"' in q["sql"]]
        assert len(walk) == 1 and '"name_sort_key" >= (SELECT' in walk[0]
    assert shown == in_order[:4]
    # Not walked, nothing to bound: a prefix under the cap, a search anywhere, Z to A.
    for params in (
        {"q": "nguyen thi an", "match": "start"},
        {"q": "nguyen thi"},
        {"q": "nguyen thi", "match": "start", "sort": "-name"},
    ):
        with CaptureQueriesContext(connection) as ctx:
            client.get(LIST, params)
        assert not any('"name_sort_key" >= (SELECT' in q["sql"] for q in ctx.captured_queries)


def test_the_byte_wise_order_of_sort_keys_is_the_columns_order(cast):
    # On either database: the sort keys hold digits, "!" and spaces, which the column's
    # collation (ICU vi-VN on PostgreSQL) orders as bytes are ordered.
    for n, name in enumerate(["Nguyễn Văn Ánh", "Lê Anh", "Trần Thị Ba", "Đỗ Văn Ba", "Ơn"]):
        official_on_roll(cast.tree.cell_a, name, citizen_id=f"0921850099{n:02d}")
    by_column = list(Member.objects.order_by("name_sort_key", "pk").values_list("pk", flat=True))
    by_bytes = list(
        Member.objects.order_by(search.Bytewise("name_sort_key"), "pk").values_list("pk", flat=True)
    )
    assert by_bytes == by_column
    keys = list(Member.objects.order_by("name_sort_key", "pk").values_list("name_sort_key"))
    assert keys == sorted(keys)
