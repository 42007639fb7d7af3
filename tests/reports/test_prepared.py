"""reports.prepared: a query's SQL compiled once per shape gives what the ORM gives, for any
values; values it cannot place are refused rather than silently ignored."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count

from members.models import Event
from reports import prepared
from tests.conftest import admit, d

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
