"""reports.figures beyond unit_figures: the children's figures in constant queries, the admitted
by category, the admissions and removals by year, and the records behind each figure."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from branches.models import Unit
from branches.services import unit_create, unit_move
from members import choices
from members.models import Event, MemberState, Status
from members.services import (
    member_record_death,
    member_remove,
    member_transfer,
    member_transfer_in,
)
from reports.figures import (
    ADMITTED_SUBSETS,
    FLOW_KINDS,
    ROLL_FIGURES,
    admission_breakdown,
    children_figures,
    flow_events,
    roll_members,
    total_figures,
    unit_figures,
    yearly_flows,
)
from reports.figures.sql import DayNumber
from reports.unit_report import build_unit_report
from tests.conftest import admit, admit_official, d, make_decision, new_person
from tests.histories import History, operations

pytestmark = pytest.mark.django_db
K = Event.Kind
PERIOD = (d("2022-01-01"), d("2022-12-31"))


@pytest.fixture
def story(tree, directive28):
    """A year with flows in each cell, a transfer between two cells of the ward, and a new cell
    that joins the ward mid-year with its members."""
    a, b, g = tree.cell_a, tree.cell_b, tree.gcell
    m1 = admit_official(a, d("2018-03-01"))
    m2 = admit_official(b, d("2018-04-01"))
    m3 = admit_official(g, d("2018-05-01"))
    m4 = admit_official(a, d("2018-06-01"))
    elsewhere = unit_create(
        code="elsewhere",
        name="Đảng bộ khác",
        kind=Unit.Kind.GRASSROOTS_COMMITTEE,
        founded_on=d("2010-01-01"),
        parent=tree.root,
    )
    mover = unit_create(
        code="mover",
        name="Chi bộ chuyển về",
        kind=Unit.Kind.CELL,
        founded_on=d("2010-01-01"),
        parent=elsewhere,
    )
    admit_official(mover, d("2018-01-10"))
    admit_official(mover, d("2018-01-11"))
    unit_move(unit=mover, new_parent=tree.gc, on=d("2022-07-01"))

    admit(a, d("2022-02-01"), directive=directive28, gender="female", ethnicity="05")
    admit(g, d("2022-03-01"), directive=directive28, religion="buddhism")
    member_transfer(
        member=m1,
        to_unit=b,
        effective_date=d("2022-04-01"),
        decision=make_decision(d("2022-04-01")),
    )
    member_remove(
        member=m2,
        kind=K.STRUCK_OFF,
        reason=Event.Reason.UNPAID_DUES,
        effective_date=d("2022-05-01"),
        decision=make_decision(d("2022-05-01"), directive=directive28),
    )
    member_record_death(member=m3, effective_date=d("2022-06-01"))
    member_transfer_in(
        member=new_person(admitted_on=d("2015-01-01"), recognized_on=d("2016-01-01")),
        unit=b,
        origin="Huyện ủy Vĩnh Thạnh",
        effective_date=d("2022-08-01"),
        decision=make_decision(d("2022-08-01")),
        probationary=False,
    )
    member_remove(
        member=m4,
        kind=K.DISCHARGED,
        reason=Event.Reason.ON_REQUEST,
        effective_date=d("2022-09-01"),
        decision=make_decision(d("2022-09-01"), directive=directive28),
        standards_kept=True,
    )
    return tree


@pytest.mark.parametrize("parent", ["root", "gc"])
@pytest.mark.parametrize("with_directive", [False, True])
def test_each_childs_figures_are_its_own_unit_figures(story, directive28, parent, with_directive):
    directive = directive28 if with_directive else None
    unit = getattr(story, parent)
    children = children_figures(unit, *PERIOD, directive)
    assert children, "the unit has children"
    for figures in children:
        assert figures == unit_figures(figures.unit, *PERIOD, directive), figures.unit
        assert figures.balance_difference == 0


def test_children_are_the_units_under_the_parent_on_the_last_day(story):
    names = [f.unit.code for f in children_figures(story.gc, *PERIOD)]
    assert sorted(names) == ["long-thanh-1", "long-thanh-2", "mover"]
    before_the_move = (d("2022-01-01"), d("2022-06-30"))
    assert "mover" not in [f.unit.code for f in children_figures(story.gc, *before_the_move)]


def test_the_total_row_sums_the_children(story):
    children = children_figures(story.gc, *PERIOD)
    total = total_figures(story.gc, children)
    ward = unit_figures(story.gc, *PERIOD)
    assert total.members_at_end == ward.members_at_end
    assert total.flows.admitted == ward.flows.admitted
    # m1's move from A to B is inside the ward: the ward counts neither side, the rows both.
    assert ward.all_events.transferred_in == 1  # the arrival from Vĩnh Thạnh
    assert total.all_events.transferred_in == 2
    assert total.all_events.transferred_out == 1
    assert total.balance_difference == 0
    for name in FLOW_KINDS:
        assert getattr(total.all_events, name) == sum(getattr(c.all_events, name) for c in children)


def test_a_reports_children_come_in_vietnamese_order(tree):
    """As the unit tree lists them (``Unit.sort_key``): đ is a letter after d, â after a, so
    Ấp Dừa comes before Ấp Đông, which a comparison of the letters without their marks puts
    the other way round."""
    commune = unit_create(
        code="thanh-phu",
        name="Đảng bộ xã Thạnh Phú",
        kind=Unit.Kind.GRASSROOTS_COMMITTEE,
        founded_on=d("2010-01-01"),
        parent=tree.root,
    )
    for code, name in (
        ("binh-thuy", "Bình Thủy"),
        ("ap-dong", "Ấp Đông"),
        ("ap-dua", "Ấp Dừa"),
        ("ap-bac", "Ấp Bắc"),
        ("an-binh", "An Bình"),
    ):
        unit_create(
            code=code, name=name, kind=Unit.Kind.CELL, founded_on=d("2010-01-01"), parent=commune
        )
    expected = ["An Bình", "Ấp Bắc", "Ấp Dừa", "Ấp Đông", "Bình Thủy"]
    names = [f.unit.name for f in children_figures(commune, *PERIOD)]
    assert names == expected
    report = build_unit_report(commune, *PERIOD, None)
    assert [row.label for row in report.children_table().rows] == expected
    units = Unit.objects.filter(parent_links__parent=commune)
    assert [u.name for u in sorted(units, key=lambda u: u.sort_key)] == expected


def test_children_figures_take_three_queries_however_many_children(
    story, django_assert_num_queries
):
    with django_assert_num_queries(3):
        children_figures(story.gc, *PERIOD)
    for i in range(8):
        cell = unit_create(
            code=f"more-{i}",
            name=f"Chi bộ {i}",
            kind=Unit.Kind.CELL,
            founded_on=d("2010-01-01"),
            parent=story.gc,
        )
        admit(cell, d("2022-10-01"))
    with django_assert_num_queries(3):
        assert len(children_figures(story.gc, *PERIOD)) == 11
    with django_assert_num_queries(1):
        assert children_figures(story.cell_a, *PERIOD) == []


def test_the_childrens_counts_name_the_children_read_before_them(story):
    # The children's flows and rolls take their ids as values, not a subquery on the links:
    # PostgreSQL then plans for the size of their subtrees.
    with CaptureQueriesContext(connection) as ctx:
        children = children_figures(story.gc, *PERIOD)
    links, *counts = (q["sql"] for q in ctx.captured_queries)
    assert "branches_unitparent" in links
    assert len(counts) == 2
    for sql in counts:
        assert "branches_unitparent" not in sql
        (ids,) = re.findall(r'"ancestor_id" IN \(([-\d, ]+)\)', sql)
        assert sorted(int(pk) for pk in ids.split(",")) == sorted(f.unit.pk for f in children)


def test_the_counts_join_the_closure_to_events_and_roll_periods_directly(story, directive28):
    # Not through the units' table, which none of them reads: PostgreSQL keeps an inner join
    # it is not asked for, and probes the units' key once per event (``ClosureRows``).
    with CaptureQueriesContext(connection) as ctx:
        build_unit_report(story.gc, *PERIOD, directive28)
        list(flow_events(story.gc, *PERIOD, directive28, "admissions"))
        list(roll_members(story.gc, *PERIOD, "members_at_end"))
    statements = [q["sql"] for q in ctx.captured_queries]
    record = r'"members_(?:event|membership)"\."unit_id"'
    through_units = [s for s in statements if re.search(rf'{record} = "branches_unit"\."id"', s)]
    direct = [
        s
        for s in statements
        if re.search(rf'{record} = (?:"branches_unitancestry"|T\d+)\."unit_id"', s)
    ]
    assert through_units == []
    # Flows and rolls, the unit's and its children's; the admitted, the organizations
    # admitting and the years; the records of two figures.
    assert len(direct) == 9


def test_the_breakdown_of_the_admitted(tree, directive28, django_assert_num_queries):
    admit(
        tree.cell_a,
        d("2022-02-01"),
        gender="female",
        ethnicity="05",
        youth_union_member=True,
        born=d("2000-02-02"),
        general_education="lower_secondary",
        professional_level="university",
        occupation_group="farmer",
        directive=directive28,
    )
    # 30 the day before the 31st birthday: still in the 18-30 band.
    admit(
        tree.cell_b,
        d("2022-03-01"),
        religion="catholicism",
        born=d("1991-03-02"),
        private_business_owner=True,
        academic_title="associate_professor",
    )
    admit(tree.gcell, d("2022-04-01"), born=d("1961-04-02"), married_to_foreigner=True)  # 60
    admit(tree.gcell, d("2021-04-01"))  # before the period
    with django_assert_num_queries(2):  # the admitted; the grassroots organizations admitting
        b = admission_breakdown(tree.root, *PERIOD)
    assert (b.total, b.admitted, b.readmitted) == (3, 3, 0)
    assert (b.women, b.ethnic_minorities, b.religious, b.youth_union) == (1, 1, 1, 1)
    assert (b.private_business_owners, b.married_to_foreigners) == (1, 1)
    assert b.age_bands == {
        "18_30": 2,
        "31_35": 0,
        "36_40": 0,
        "41_45": 0,
        "46_50": 0,
        "51_55": 0,
        "56_60": 1,
        "over_60": 0,
    }
    assert b.aged_18_30 == 2
    assert b.mean_age == round((21 + 30 + 60) / 3, 1)
    assert b.general_education["lower_secondary"] == 1
    assert b.general_education["upper_secondary"] == 2
    assert b.professional_level["university"] == 1
    assert b.occupation["farmer"] == 1 and b.occupation["other"] == 2
    assert b.academic_title == {"associate_professor": 1, "professor": 0}
    assert sum(b.occupation.values()) == b.total
    # The Thốt Nốt ward and the school's grassroots cell admitted; the district is not one.
    assert b.grassroots_admitting == 2
    assert admission_breakdown(tree.cell_a, *PERIOD).grassroots_admitting == 0
    assert admission_breakdown(tree.gc, *PERIOD).grassroots_admitting == 1
    assert admission_breakdown(tree.root, *PERIOD, directive28).total == 1
    assert set(b.occupation) == set(choices.OccupationGroup.values)


def new_ward(tree) -> Unit:
    """A ward committee under the district since 2020, with nothing under it yet."""
    return unit_create(
        code="phuong-moi",
        name="Đảng ủy phường mới",
        kind=Unit.Kind.ABOVE_GRASSROOTS,
        founded_on=d("2020-01-01"),
        parent=tree.root,
    )


def test_grassroots_organizations_admitting_are_counted_where_they_were_that_day(tree):
    ward = new_ward(tree)
    admit(tree.gcell, d("2022-03-01"))  # under the district alone
    unit_move(unit=tree.gcell, new_parent=ward, on=d("2022-07-01"))

    def admitting(unit, start, end):
        return admission_breakdown(unit, d(start), d(end)).grassroots_admitting

    # Under the ward since July, but it admitted only before: not the ward's.
    assert admitting(ward, "2022-01-01", "2022-12-31") == 0
    assert admitting(tree.root, "2022-01-01", "2022-12-31") == 1
    admit(tree.gcell, d("2022-09-01"))
    assert admitting(ward, "2022-01-01", "2022-12-31") == 1
    assert admitting(ward, "2022-01-01", "2022-06-30") == 0
    assert admitting(tree.root, "2022-01-01", "2022-06-30") == 1
    # Under the district all year (through the ward since July): one organization, counted once.
    assert admitting(tree.root, "2022-01-01", "2022-12-31") == 1


def test_each_grassroots_organization_admitting_is_counted_once_under_any_unit(tree):
    ward = new_ward(tree)
    for unit in (tree.gc, tree.gcell):
        unit_move(unit=unit, new_parent=ward, on=d("2022-01-01"))
    # The ward's grassroots committee admits in both its cells; its grassroots cell once.
    for cell, day in ((tree.cell_a, "2022-03-01"), (tree.cell_b, "2022-04-01")):
        admit(cell, d(day))
    admit(tree.gcell, d("2022-05-01"))
    ward.refresh_from_db()
    assert not ward.spans_tree  # counted through its subtree, not the whole tree

    def admitting(unit):
        return admission_breakdown(unit, *PERIOD).grassroots_admitting

    assert (admitting(ward), admitting(tree.root), admitting(tree.gc)) == (2, 2, 1)
    assert admitting(tree.cell_a) == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
@pytest.mark.parametrize("spans", [True, False])
def test_sqlite_reads_each_admissions_ancestors_rather_than_seeking_each_organization(tree, spans):
    # The grassroots organizations are a list; SQLite would seek the closure once for each of
    # them for every admission (a city: 2 s). ``UnsoughtIn`` makes it read the admission's
    # few closure rows by its cell and test each ancestor against the list.
    unit = tree.root if spans else tree.gc
    assert unit.spans_tree is spans
    admit(tree.cell_a, d("2022-03-01"))
    with CaptureQueriesContext(connection) as captured:
        assert admission_breakdown(unit, *PERIOD).grassroots_admitting == 1
    (count,) = [q["sql"] for q in captured.captured_queries if "COUNT(DISTINCT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + count)
        steps = [row[-1] for row in cursor.fetchall()]
    closure = [step for step in steps if "branches_unitancestry" in step or " T" in step]
    by_cell = [step for step in closure if re.search(r"\(unit_id=\?\)", step)]
    assert by_cell, steps
    assert not any(re.search(r"unit_id=\? AND ancestor_id=\?", step) for step in closure), steps


def test_the_records_behind_each_category_of_the_admitted(tree):
    admit(
        tree.cell_a,
        d("2022-02-01"),
        gender="female",
        ethnicity="05",
        youth_union_member=True,
        general_education="primary",
        professional_level="master",
        occupation_group="farmer",
    )
    admit(
        tree.cell_b,
        d("2022-03-01"),
        religion="catholicism",
        private_business_owner=True,
        academic_title="professor",
        married_to_foreigner=True,
    )
    b = admission_breakdown(tree.root, *PERIOD)
    for subset in ADMITTED_SUBSETS:
        listed = flow_events(tree.root, *PERIOD, None, "admissions", subset).count()
        name, _colon, value = subset.partition(":")
        if (name, value) == ("academic_title", "none"):  # the breakdown counts titles only
            expected = b.total - sum(b.academic_title.values())
        else:
            expected = getattr(b, name)[value] if value else getattr(b, name)
        assert listed == expected, subset


def test_an_empty_breakdown_has_no_mean_age(tree):
    b = admission_breakdown(tree.root, *PERIOD)
    assert b.total == 0 and b.mean_age is None


@pytest.mark.parametrize(
    ("born", "admitted", "band"),
    [
        ("1991-03-01", "2022-03-01", "31_35"),  # the 31st birthday itself
        ("1991-03-02", "2022-03-01", "18_30"),  # the day before it
        ("1976-02-29", "2022-02-28", "41_45"),  # born on 29/02: 45 until 01/03
        ("1976-02-29", "2022-03-01", "46_50"),
        ("1986-12-31", "2022-12-31", "36_40"),  # 36 on the last day of the year
        ("1961-04-02", "2022-04-01", "56_60"),  # 60 (over 60 cannot be admitted)
    ],
)
def test_ages_at_admission_count_whole_years_as_members_do(tree, born, admitted, band):
    member = admit(tree.cell_a, d(admitted), born=d(born))
    b = admission_breakdown(tree.root, *PERIOD)
    assert b.mean_age == member.age_on(d(admitted))
    assert {key for key, n in b.age_bands.items() if n} == {band}


@pytest.mark.parametrize("day", ["1976-02-29", "1989-12-31", "2000-01-01", "2003-10-05"])
def test_a_day_number_is_the_date_as_yyyymmdd(tree, day):
    member = admit(tree.cell_a, d("2022-03-01"), born=d(day))
    numbers = Event.objects.filter(member=member).annotate(
        n=DayNumber("effective_date"), born=DayNumber("member__date_of_birth")
    )
    assert list(numbers.values_list("n", "born")) == [(20220301, int(day.replace("-", "")))]


def test_the_breakdown_calls_no_python_function_on_sqlite(tree, django_assert_num_queries):
    """Django's EXTRACT on SQLite is a Python function called per row: the ages are computed
    with SQLite's own strftime instead (the same figures: the tests above)."""
    admit(tree.cell_a, d("2022-03-01"), born=d("1990-05-06"))
    with django_assert_num_queries(2) as queries:
        admission_breakdown(tree.root, *PERIOD)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    if connection.vendor == "sqlite":
        assert "django_date_extract" not in sql and "strftime" in sql
    else:
        assert "EXTRACT" in sql


def test_admissions_and_removals_by_year_in_one_query(
    story, directive28, django_assert_num_queries
):
    with django_assert_num_queries(1):
        years = yearly_flows(story.root, 2017, d("2022-12-31"))
    assert [y.year for y in years] == [2017, 2018, 2019, 2020, 2021, 2022]
    assert years[1].admitted == 6 and years[1].removed == 0
    assert (years[-1].admitted, years[-1].removed) == (2, 2)
    under_28 = yearly_flows(story.root, 2019, d("2022-06-30"), directive28)
    assert (under_28[-1].admitted, under_28[-1].removed) == (2, 1)


@pytest.mark.parametrize("unit_name", ["root", "gc", "cell_a", "cell_b", "gcell"])
def test_the_records_behind_each_figure_are_as_many_as_the_figure(story, directive28, unit_name):
    unit = getattr(story, unit_name)
    for directive in (None, directive28):
        figures = unit_figures(unit, *PERIOD, directive)
        for name in FLOW_KINDS:
            assert flow_events(unit, *PERIOD, directive, name).count() == getattr(
                figures.flows, name
            ), name
        assert flow_events(unit, *PERIOD, directive, "removed").count() == figures.flows.removed
        assert (
            flow_events(unit, *PERIOD, directive, "admissions").count()
            == figures.flows.admitted + figures.flows.readmitted
        )
        assert (
            flow_events(unit, *PERIOD, directive, "struck_off_probationary").count()
            == figures.struck_off_probationary
        )
        for name in ROLL_FIGURES:
            assert roll_members(unit, *PERIOD, name).count() == getattr(figures, name), name


# --- random histories ---------------------------------------------------------------------------

FIRST_DAY = d("2012-01-01")


def probationary_when_struck_off(unit, start, end) -> int:
    """The oracle: replay each struck-off member's events up to the removal (MemberState)."""
    count = 0
    for removal in flow_events(unit, start, end, None, "struck_off"):
        before = [
            e
            for e in removal.member.events.order_by("effective_date", "pk")
            if (e.effective_date, e.pk) < (removal.effective_date, removal.pk)
        ]
        if MemberState.replay(before).status == Status.PROBATIONARY:
            count += 1
    return count


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations(n_units=3, max_size=25), move_after=st.integers(0, 30))
def test_children_and_probationary_figures_for_random_histories(tree, directive28, ops, move_after):
    with transaction.atomic():
        history = History(
            units=[tree.cell_a, tree.cell_b, tree.gcell], day=FIRST_DAY, directive=directive28
        )
        history.seed(tree.cell_a, tree.cell_b, tree.gcell)
        history.apply(ops)
        # A reorganization: cell_b leaves the ward for a second ward, some day of the history.
        ward = unit_create(
            code="ward-2",
            name="Đảng bộ phường 2",
            kind=Unit.Kind.GRASSROOTS_COMMITTEE,
            founded_on=d("2010-01-01"),
            parent=tree.root,
        )
        unit_move(unit=tree.cell_b, new_parent=ward, on=FIRST_DAY + timedelta(days=move_after * 40))
        last = max(history.day, FIRST_DAY + timedelta(days=1300))
        for start, end in ((FIRST_DAY, last), (FIRST_DAY + timedelta(days=400), last)):
            for parent in (tree.root, tree.gc, ward):
                children = children_figures(parent, start, end, directive28)
                for figures in children:
                    assert figures == unit_figures(figures.unit, start, end, directive28)
                total = total_figures(parent, children)
                assert total is None or total.balance_difference == 0
            for unit in (tree.root, tree.gc, tree.cell_a, tree.gcell):
                figures = unit_figures(unit, start, end)
                expected = probationary_when_struck_off(unit, start, end)
                assert figures.all_struck_off_probationary == expected
            event(f"struck off while probationary: {'some' if expected else 'none'}")
        transaction.set_rollback(True)
