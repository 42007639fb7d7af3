"""reports.figures.sql: a query's SQL compiled once per shape gives what the ORM gives, for any
values; values it cannot place are refused rather than silently ignored."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count

from branches.models import Unit
from branches.services import unit_create, unit_move
from members.models import Event
from members.services import member_remove, member_transfer
from reports.figures import definitions
from reports.figures import sql as prepared
from tests.conftest import admit, d, make_decision

pytestmark = pytest.mark.django_db


def _by_kind(*, unit_id, start, end):
    return (
        Event.objects.filter(unit=unit_id, effective_date__gte=start, effective_date__lte=end)
        .values("kind")
        .annotate(n=Count("*"))
        .order_by("kind")
    )


def test_the_sql_compiled_once_gives_the_orm_rows_for_other_values(tree, django_assert_num_queries):
    for day in ("2020-02-01", "2020-06-01", "2021-03-01"):
        admit(tree.cell_a, d(day))
    admit(tree.cell_b, d("2020-07-01"))
    key = ("test", "by kind")
    for unit, start, end in (
        (tree.cell_a, d("2020-01-01"), d("2020-12-31")),
        (tree.cell_a, d("2020-01-01"), d("2021-12-31")),
        (tree.cell_b, d("2020-01-01"), d("2020-12-31")),
        (tree.cell_b, d("2021-01-01"), d("2021-12-31")),
    ):
        expected = list(_by_kind(unit_id=unit.pk, start=start, end=end))
        with django_assert_num_queries(1):
            got = prepared.rows(key, _by_kind, unit_id=unit.pk, start=start, end=end)
        assert got == expected


def test_an_aggregate_compiled_once(tree):
    admit(tree.cell_a, d("2020-02-01"))

    def events(*, unit_id):
        return Event.objects.filter(unit=unit_id)

    def counts(*, unit_id):
        return {"n": Count("pk")}

    for unit, n in ((tree.cell_a, 1), (tree.cell_b, 0), (tree.cell_a, 1)):
        assert prepared.aggregate(("test", "aggregate"), events, counts, unit_id=unit.pk) == {
            "n": n
        }


def test_a_value_the_query_does_not_use_is_refused(tree):
    def ignores_end(*, unit_id, end):
        return Event.objects.filter(unit=unit_id).values("kind")

    with pytest.raises(ValueError, match="not found"):
        prepared.rows(("test", "unused"), ignores_end, unit_id=tree.cell_a.pk, end=d("2020-01-01"))


def test_only_ids_and_days_stand_in(tree):
    with pytest.raises(TypeError):
        prepared.rows(("test", "text"), lambda **v: Event.objects.values("kind"), kind="admission")
    with pytest.raises(TypeError):
        prepared.rows(
            ("test", "time"),
            lambda **v: Event.objects.values("kind"),
            at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        )


def _plain(rows):
    """Rows in one comparable form: SQLite's booleans come back from the raw cursor as 0/1."""
    return sorted(
        tuple(sorted((k, int(v) if isinstance(v, bool) else v) for k, v in row.items()))
        for row in rows
    )


def test_the_figures_definitions_run_through_the_fast_path_give_what_the_orm_gives(tree):
    """Each counting queryset of ``reports.figures.definitions``, run through its SQL compiled
    once per shape, gives the rows that the ORM gives for the same values."""
    a = admit(tree.cell_a, d("2020-02-01"))
    admit(tree.cell_b, d("2020-03-01"))
    admit(tree.gcell, d("2021-04-01"))
    member_transfer(
        member=a,
        to_unit=tree.cell_b,
        effective_date=d("2021-05-01"),
        decision=make_decision(d("2021-05-01")),
    )
    removed = admit(tree.cell_a, d("2021-06-01"))
    member_remove(
        member=removed,
        kind=Event.Kind.STRUCK_OFF,
        reason=Event.Reason.UNPAID_DUES,
        effective_date=d("2022-01-10"),
        decision=make_decision(d("2022-01-10")),
    )
    other = unit_create(
        code="other",
        name="Đảng bộ phường Thuận An",
        kind=Unit.Kind.GRASSROOTS_COMMITTEE,
        founded_on=d("2010-01-01"),
        parent=tree.root,
    )
    unit_move(unit=tree.cell_b, new_parent=other, on=d("2021-09-01"))
    seen = []
    for start, end in ((d("2020-01-01"), d("2021-12-31")), (d("2021-07-01"), d("2022-06-30"))):
        before = start - datetime.timedelta(days=1)
        days = {"start": start, "end": end, "before": before}
        for unit in (tree.root, tree.gc, other, tree.cell_a, tree.cell_b):
            values = {"unit_id": unit.pk, **days}
            fast = prepared.aggregate(
                ("roll",), definitions.rolls, definitions.roll_counts, **values
            )
            assert fast == definitions.rolls(**values).aggregate(**definitions.roll_counts(**days))
            seen.append(fast)
            flows = {"unit_id": unit.pk, "start": start, "end": end}
            assert _plain(prepared.rows(("flows",), definitions.subtree_flows, **flows)) == _plain(
                definitions.subtree_flows(**flows)
            )
            years = {"unit_id": unit.pk, "first_day": start, "end": end}
            assert _plain(prepared.rows(("years",), definitions.yearly_rows, **years)) == _plain(
                definitions.yearly_rows(**years)
            )
        children = [tree.gc.pk, tree.gcell.pk, other.pk, tree.cell_b.pk]
        assert _plain(
            prepared.rows(
                ("roll", "by child"), definitions.rolls_by_child, children=children, **days
            )
        ) == _plain(definitions.rolls_by_child(children=children, **days))
        by_child = {"start": start, "end": end}
        assert _plain(
            prepared.rows(
                ("flows", "by child"), definitions.subtree_flows, children=children, **by_child
            )
        ) == _plain(definitions.subtree_flows(children=children, **by_child))
    # Every roll figure was met (the move took cell b's two members from one committee to
    # the other).
    assert all(any(counts[name] for counts in seen) for name in seen[0])
