"""branches: unit kinds, the dated tree, moves that keep history, dissolution, the closure."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.core.exceptions import ValidationError

from branches.models import Unit, UnitAncestry, UnitParent
from branches.services import compute_ancestry, unit_create, unit_dissolve, unit_move
from members.models import Event
from members.services import member_transfer
from reports.figures import unit_figures
from tests.conftest import admit, admit_official, d, make_decision

K = Unit.Kind

pytestmark = pytest.mark.django_db


def create(code: str, kind: str, parent: Unit | None, founded: str = "2010-01-01") -> Unit:
    return unit_create(code=code, name=code, kind=kind, founded_on=d(founded), parent=parent)


def error_of(info) -> set[str]:
    return set(info.value.message_dict)


# --- kinds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent_name", "kind", "allowed"),
    [
        ("cell_a", K.CELL, False),  # a cell holds no units
        ("gcell", K.CELL, False),  # nor does a grassroots cell
        ("gc", K.ABOVE_GRASSROOTS, False),
        ("gc", K.GRASSROOTS_COMMITTEE, False),
        ("gc", K.GRASSROOTS_CELL, False),
        ("root", K.CELL, False),  # cells sit under a grassroots committee
        ("gc", K.CELL, True),
        ("gc", K.INTERMEDIATE_COMMITTEE, True),
        ("root", K.ABOVE_GRASSROOTS, True),
        ("root", K.GRASSROOTS_COMMITTEE, True),
        ("root", K.GRASSROOTS_CELL, True),
    ],
)
def test_unit_kinds_decide_what_a_unit_may_hold(tree, parent_name, kind, allowed):
    parent = getattr(tree, parent_name)
    count = Unit.objects.count()
    if allowed:
        unit = create("new-unit", kind, parent, "2020-01-01")
        assert UnitParent.objects.get(unit=unit).parent == parent
    else:
        with pytest.raises(ValidationError) as info:
            create("new-unit", kind, parent, "2020-01-01")
        assert error_of(info) == {"parent"}
        assert Unit.objects.count() == count


def test_an_intermediate_committee_holds_cells_only(tree):
    intermediate = create("bo-phan", K.INTERMEDIATE_COMMITTEE, tree.gc)
    with pytest.raises(ValidationError):
        create("bo-phan-2", K.INTERMEDIATE_COMMITTEE, intermediate)
    cell = create("chi-bo", K.CELL, intermediate)
    assert set(Unit.objects.under(tree.root, d("2020-01-01"))) >= {intermediate, cell}


def test_a_unit_moves_only_under_a_parent_of_a_fitting_kind(tree):
    other_root = create("quan-o-mon", K.ABOVE_GRASSROOTS, None)
    with pytest.raises(ValidationError) as info:
        unit_move(unit=other_root, new_parent=tree.gc, on=d("2020-01-01"))
    assert error_of(info) == {"parent"}
    with pytest.raises(ValidationError):
        unit_move(unit=tree.cell_a, new_parent=tree.root, on=d("2020-01-01"))
    assert not UnitParent.objects.filter(unit=other_root).exists()
    assert UnitParent.objects.get(unit=tree.cell_a).parent == tree.gc


def test_a_child_only_under_a_parent_existing_on_its_founding_day(tree):
    with pytest.raises(ValidationError) as info:
        create("early", K.CELL, tree.gc, "2009-12-31")
    assert error_of(info) == {"parent"}


@pytest.mark.parametrize("unit_name", ["gc", "root"])
def test_members_only_in_cells_and_grassroots_cells(tree, unit_name):
    with pytest.raises(ValidationError) as info:
        admit(getattr(tree, unit_name), d("2022-03-01"))
    assert "unit" in error_of(info)
    assert admit(tree.cell_a, d("2022-03-01")).unit == tree.cell_a
    assert admit(tree.gcell, d("2022-03-01")).unit == tree.gcell


# --- the subtree on a day ----------------------------------------------------------------------


def test_under_is_one_query_and_gives_the_subtree_on_the_day(tree, django_assert_num_queries):
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    new_cell = create("chi-bo-moi", K.CELL, tree.gc, "2021-01-01")
    unit_move(unit=tree.cell_b, new_parent=gc2, on=d("2022-01-01"))
    unit_dissolve(unit=tree.cell_a, on=d("2023-01-01"))

    def subtree(unit, day):
        with django_assert_num_queries(1):
            return set(Unit.objects.under(unit, d(day)))

    assert subtree(tree.gc, "2020-12-31") == {tree.gc, tree.cell_a, tree.cell_b}
    assert subtree(tree.gc, "2021-01-01") == {tree.gc, tree.cell_a, tree.cell_b, new_cell}
    assert subtree(tree.gc, "2022-01-01") == {tree.gc, tree.cell_a, new_cell}
    assert subtree(tree.gc, "2023-01-01") == {tree.gc, new_cell}
    assert subtree(gc2, "2021-12-31") == {gc2}
    assert subtree(gc2, "2022-01-01") == {gc2, tree.cell_b}
    assert subtree(tree.root, "2022-06-01") == {
        tree.root,
        tree.gc,
        gc2,
        tree.cell_a,
        tree.cell_b,
        new_cell,
        tree.gcell,
    }
    assert subtree(tree.root, "2009-12-31") == set()
    # Without a day: every unit that was ever under it.
    assert set(Unit.objects.under(tree.gc)) == {tree.gc, tree.cell_a, tree.cell_b, new_cell}


# --- moves keep history ------------------------------------------------------------------------


def test_moving_a_unit_keeps_the_old_tree_for_old_dates(tree):
    """2025: the district level ends and its grassroots organizations move under a ward."""
    for _ in range(3):
        admit(tree.cell_b, d("2020-03-01"))
    admit(tree.cell_a, d("2020-03-01"))
    ward = create("phuong-tan-loc", K.ABOVE_GRASSROOTS, None)
    unit_move(unit=tree.gc, new_parent=ward, on=d("2025-07-01"))

    def members(unit, start, end):
        figures = unit_figures(unit, d(start), d(end))
        return figures.members_at_start, figures.members_at_end

    # The whole of June 2025: under the district.
    assert members(tree.root, "2025-06-01", "2025-06-30") == (4, 4)
    assert members(ward, "2025-06-01", "2025-06-30") == (0, 0)
    # The whole of August 2025: under the ward.
    assert members(tree.root, "2025-08-01", "2025-08-31") == (0, 0)
    assert members(ward, "2025-08-01", "2025-08-31") == (4, 4)
    # A period starting on the move's day starts from the day before: the district's members.
    assert members(tree.root, "2025-07-01", "2025-07-31") == (4, 0)
    assert members(ward, "2025-07-01", "2025-07-31") == (0, 4)
    # Across the move: the district sees them leave, the ward sees them come; nothing else moved.
    across_root = unit_figures(tree.root, d("2025-06-01"), d("2025-07-31"))
    across_ward = unit_figures(ward, d("2025-06-01"), d("2025-07-31"))
    assert (across_root.members_at_start, across_root.moved_out, across_root.members_at_end) == (
        4,
        4,
        0,
    )
    assert (across_ward.members_at_start, across_ward.moved_in, across_ward.members_at_end) == (
        0,
        4,
        4,
    )
    assert across_root.balance_difference == across_ward.balance_difference == 0
    # The grassroots committee itself sees no change at all.
    inside = unit_figures(tree.gc, d("2025-06-01"), d("2025-07-31"))
    assert (inside.members_at_start, inside.moved_in, inside.moved_out, inside.members_at_end) == (
        4,
        0,
        0,
        4,
    )


def test_events_count_where_the_unit_was_on_their_day(tree):
    ward = create("phuong-tan-loc", K.ABOVE_GRASSROOTS, None)
    admit(tree.cell_b, d("2025-06-15"))  # before the move: the district's admission
    unit_move(unit=tree.gc, new_parent=ward, on=d("2025-07-01"))
    admit(tree.cell_b, d("2025-07-15"))  # after: the ward's
    year = (d("2025-01-01"), d("2025-12-31"))
    assert unit_figures(tree.root, *year).all_events.admitted == 1
    assert unit_figures(ward, *year).all_events.admitted == 1
    assert unit_figures(tree.gc, *year).all_events.admitted == 2


def test_moving_under_own_descendant_is_refused(tree):
    district = create("huyen", K.ABOVE_GRASSROOTS, tree.root)
    ward = create("xa", K.ABOVE_GRASSROOTS, district)
    for new_parent in (district, ward):
        with pytest.raises(ValidationError) as info:
            unit_move(unit=tree.root, new_parent=new_parent, on=d("2020-01-01"))
        assert error_of(info) == {"new_parent"}
    assert not UnitParent.objects.filter(unit=tree.root).exists()
    # ... but moving the descendant elsewhere is fine.
    unit_move(unit=ward, new_parent=tree.root, on=d("2020-01-01"))


def test_a_move_must_come_after_the_last_change(tree):
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    with pytest.raises(ValidationError) as info:
        unit_move(unit=tree.cell_a, new_parent=gc2, on=d("2010-01-01"))  # the founding link's day
    assert error_of(info) == {"on"}
    with pytest.raises(ValidationError) as info:
        unit_move(unit=tree.cell_a, new_parent=tree.gc, on=d("2020-01-01"))  # already there
    assert error_of(info) == {"new_parent"}
    assert UnitParent.objects.filter(unit=tree.cell_a).count() == 1


# --- dissolution -------------------------------------------------------------------------------


def test_dissolution_refused_while_members_remain(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    with pytest.raises(ValidationError) as info:
        unit_dissolve(unit=tree.cell_a, on=d("2023-01-01"))
    assert error_of(info) == {"on"}
    assert Unit.objects.get(pk=tree.cell_a.pk).dissolved_on is None
    member_transfer(
        member=member,
        to_unit=tree.cell_b,
        effective_date=d("2022-12-31"),
        decision=make_decision(d("2022-12-31")),
    )
    unit_dissolve(unit=tree.cell_a, on=d("2023-01-01"), successor=tree.cell_b)
    dissolved = Unit.objects.get(pk=tree.cell_a.pk)
    assert (dissolved.dissolved_on, dissolved.successor) == (d("2023-01-01"), tree.cell_b)
    assert not UnitParent.objects.filter(unit=tree.cell_a, valid_to__isnull=True).exists()
    assert tree.cell_a not in Unit.objects.under(tree.root, d("2023-01-01"))
    assert tree.cell_a in Unit.objects.under(tree.root, d("2022-12-31"))


def test_dissolution_refused_while_children_remain(tree):
    with pytest.raises(ValidationError) as info:
        unit_dissolve(unit=tree.gc, on=d("2023-01-01"))
    assert error_of(info) == {"on"}
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    unit_move(unit=tree.cell_a, new_parent=gc2, on=d("2022-06-01"))
    with pytest.raises(ValidationError):
        unit_dissolve(unit=tree.gc, on=d("2023-01-01"))
    unit_move(unit=tree.cell_b, new_parent=gc2, on=d("2022-06-01"))
    unit_dissolve(unit=tree.gc, on=d("2023-01-01"))
    assert Unit.objects.get(pk=tree.gc.pk).dissolved_on == d("2023-01-01")


def test_dissolution_refused_with_a_member_arriving_later(tree):
    """A period recorded earlier but starting after the dissolution day still blocks it."""
    admit(tree.cell_b, d("2022-06-01"))
    with pytest.raises(ValidationError) as info:
        unit_dissolve(unit=tree.cell_b, on=d("2022-03-01"))
    assert error_of(info) == {"on"}
    assert Unit.objects.get(pk=tree.cell_b.pk).dissolved_on is None


def test_dissolution_refused_with_a_child_arriving_later(tree):
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    unit_move(unit=tree.cell_b, new_parent=gc2, on=d("2022-06-01"))
    with pytest.raises(ValidationError) as info:
        unit_dissolve(unit=gc2, on=d("2022-03-01"))
    assert error_of(info) == {"on"}
    assert tree.cell_b in Unit.objects.under(gc2, d("2022-07-01"))


def test_no_admission_backdated_into_a_dissolved_cell(tree):
    unit_dissolve(unit=tree.cell_b, on=d("2022-06-01"))
    cell_b = Unit.objects.get(pk=tree.cell_b.pk)
    with pytest.raises(ValidationError) as info:
        admit(cell_b, d("2022-05-01"))  # the member would stay on a dissolved cell's roll
    assert "unit" in error_of(info)
    assert not cell_b.memberships.exists()


def test_no_move_backdated_under_a_dissolved_parent(tree):
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    unit_dissolve(unit=gc2, on=d("2022-06-01"))
    gc2.refresh_from_db()
    with pytest.raises(ValidationError) as info:
        unit_move(unit=tree.cell_b, new_parent=gc2, on=d("2022-05-01"))
    assert error_of(info) == {"parent"}


# --- the closure -------------------------------------------------------------------------------


def rows(unit: Unit, ancestor: Unit) -> list[tuple]:
    return list(
        UnitAncestry.objects.filter(unit=unit, ancestor=ancestor)
        .order_by("valid_from")
        .values_list("valid_from", "valid_to")
    )


def test_closure_intervals_are_merged_across_a_move_inside_a_subtree(tree):
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    unit_move(unit=tree.cell_a, new_parent=gc2, on=d("2022-06-01"))
    assert rows(tree.cell_a, tree.root) == [(d("2010-01-01"), None)]  # one continuous row
    assert rows(tree.cell_a, tree.gc) == [(d("2010-01-01"), d("2022-06-01"))]
    assert rows(tree.cell_a, gc2) == [(d("2022-06-01"), None)]
    assert rows(tree.cell_a, tree.cell_a) == [(d("2010-01-01"), None)]
    # Back again: two separate rows for the committee it left and came back to.
    unit_move(unit=tree.cell_a, new_parent=tree.gc, on=d("2023-06-01"))
    assert rows(tree.cell_a, tree.gc) == [
        (d("2010-01-01"), d("2022-06-01")),
        (d("2023-06-01"), None),
    ]
    assert rows(tree.cell_a, tree.root) == [(d("2010-01-01"), None)]


def test_moving_a_committee_rebuilds_its_cells_closure(tree):
    district = create("huyen", K.ABOVE_GRASSROOTS, None)
    unit_move(unit=tree.gc, new_parent=district, on=d("2025-07-01"))
    for cell in (tree.cell_a, tree.cell_b):
        assert rows(cell, tree.root) == [(d("2010-01-01"), d("2025-07-01"))]
        assert rows(cell, district) == [(d("2025-07-01"), None)]
    assert rows(tree.gcell, tree.root) == [(d("2010-01-01"), None)]


def test_closure_rows_equal_a_fresh_computation(tree):
    gc2 = create("gc2", K.GRASSROOTS_COMMITTEE, tree.root)
    unit_move(unit=tree.cell_a, new_parent=gc2, on=d("2022-06-01"))
    unit_move(unit=gc2, new_parent=create("x", K.ABOVE_GRASSROOTS, None), on=d("2023-01-01"))
    unit_dissolve(unit=tree.cell_b, on=d("2024-01-01"))
    stored = {
        (r.unit_id, r.ancestor_id, r.valid_from, r.valid_to, r.unit_kind)
        for r in UnitAncestry.objects.all()
    }
    kinds = dict(Unit.objects.values_list("pk", "kind"))
    fresh = {
        (unit_id, ancestor_id, start, None if end.year == 9999 else end, kinds[unit_id])
        for unit_id, by_ancestor in compute_ancestry(
            Unit.objects.values_list("pk", flat=True)
        ).items()
        for ancestor_id, intervals in by_ancestor.items()
        for start, end in intervals
    }
    assert stored == fresh
    assert (tree.cell_b.pk, tree.root.pk, d("2010-01-01"), d("2024-01-01"), K.CELL) in stored


def test_a_units_kind_cannot_change_once_written(tree):
    # The closure keeps a copy of it (UnitAncestry.unit_kind).
    unit = Unit.objects.get(pk=tree.cell_a.pk)
    unit.kind = K.GRASSROOTS_CELL
    with pytest.raises(ValidationError) as info:
        unit.save()
    assert error_of(info) == {"kind"}
    unit.kind, unit.name = K.CELL, "Chi bộ Long Thạnh 1 (tên mới)"
    unit.save()  # anything else may change
    fresh = create("fresh", K.CELL, tree.gc)
    fresh.kind = K.GRASSROOTS_CELL
    with pytest.raises(ValidationError):
        fresh.save()
    assert set(
        UnitAncestry.objects.filter(unit=tree.cell_a).values_list("unit_kind", flat=True)
    ) == {K.CELL}
    assert Unit.objects.get(pk=fresh.pk).kind == K.CELL


def test_the_migration_copies_each_units_kind_into_its_closure(tree):
    from django.apps import apps

    copy_unit_kinds = import_module(
        "branches.migrations.0004_closure_keeps_the_unit_kind"
    ).copy_unit_kinds
    expected = set(UnitAncestry.objects.values_list("pk", "unit_kind"))
    assert {kind for _pk, kind in expected} == set(Unit.objects.values_list("kind", flat=True))
    UnitAncestry.objects.update(unit_kind=K.CELL)  # wrong for every unit but the cells
    copy_unit_kinds(apps, None)
    assert set(UnitAncestry.objects.values_list("pk", "unit_kind")) == expected


def test_internal_transfer_does_not_count_for_the_common_ancestor(tree):
    member = admit_official(tree.cell_a, d("2020-03-01"))
    member_transfer(
        member=member,
        to_unit=tree.cell_b,
        effective_date=d("2022-06-01"),
        decision=make_decision(d("2022-06-01")),
    )
    assert (
        Event.objects.filter(kind__in=[Event.Kind.TRANSFER_IN, Event.Kind.TRANSFER_OUT]).count()
        == 2
    )
    year = (d("2022-01-01"), d("2022-12-31"))
    assert unit_figures(tree.gc, *year).all_events.transferred_out == 0
    assert unit_figures(tree.cell_a, *year).all_events.transferred_out == 1
    assert unit_figures(tree.cell_b, *year).all_events.transferred_in == 1


# --- the unit that spans the tree ----------------------------------------------------------------


def _spanning() -> list[str]:
    return list(Unit.objects.filter(spans_tree=True).values_list("code", flat=True))


def test_the_only_root_spans_the_tree_and_the_services_say_so(tree):
    assert _spanning() == [tree.root.code]
    assert tree.root.spans_tree and not tree.gc.spans_tree
    create("long-thanh-3", K.CELL, tree.gc)
    unit_move(unit=tree.cell_a, new_parent=create("gc-2", K.GRASSROOTS_COMMITTEE, tree.root),
              on=d("2015-01-01"))  # fmt: skip
    unit_dissolve(unit=tree.cell_b, on=d("2016-01-01"))
    assert _spanning() == [tree.root.code]


def test_a_second_root_means_that_no_unit_spans_the_tree(tree):
    other = create("other-root", K.ABOVE_GRASSROOTS, None)
    assert _spanning() == [] and not other.spans_tree


def test_a_root_moved_under_another_later_leaves_no_unit_spanning(tree):
    """Before the move it was not under the first root: the first root does not span."""
    other = create("other-root", K.ABOVE_GRASSROOTS, None)
    unit_move(unit=other, new_parent=tree.root, on=d("2015-01-01"))
    assert _spanning() == []


def test_the_figures_of_a_root_that_no_longer_spans_are_its_own(tree):
    """unit_figures reads the flag afresh: an instance loaded before a second root came is
    not trusted."""
    admit(tree.cell_a, d("2020-03-01"))
    root = Unit.objects.get(pk=tree.root.pk)
    assert root.spans_tree
    other = create("other-root", K.ABOVE_GRASSROOTS, None, founded="2010-01-01")
    other_org = create("other-gcell", K.GRASSROOTS_CELL, other)
    admit(other_org, d("2020-04-01"))
    figures = unit_figures(root, d("2020-01-01"), d("2020-12-31"))
    assert figures.all_events.admitted == figures.members_at_end == 1
    assert not root.spans_tree


def test_at_most_one_unit_spans_the_tree(tree):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.filter(pk=tree.gc.pk).update(spans_tree=True)
