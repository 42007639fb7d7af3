"""``manage.py generate_synthetic``: the same seed gives the same data; it refuses a database
that already has members unless told to add beside them."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from branches.models import Unit, UnitAncestry, UnitParent
from devdata import synthetic
from members.models import Event, Member, Membership
from reports.figures import unit_figures
from tests.conftest import admit

pytestmark = pytest.mark.django_db

MEMBERS = 300


def dump() -> list[list[tuple]]:
    """Every row the generator writes, in id order."""
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (Unit, UnitParent, UnitAncestry, Member, Event, Membership)
    ]


def wipe() -> None:
    Membership.objects.all().delete()
    Event.objects.all().delete()
    Member.objects.all().delete()
    UnitAncestry.objects.all().delete()
    UnitParent.objects.all().delete()
    Unit.objects.update(successor=None)
    Unit.objects.all().delete()


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    synthetic.generate(members=MEMBERS, seed=3)
    first = dump()
    assert all(first), "every table has rows"
    wipe()
    synthetic.generate(members=MEMBERS, seed=3)
    assert dump() == first
    wipe()
    synthetic.generate(members=MEMBERS, seed=4)
    other = dump()
    assert other[3] != first[3]  # members
    assert other[4] != first[4]  # events


def test_the_command_builds_the_data_and_reports_the_counts():
    out = io.StringIO()
    call_command("generate_synthetic", members=MEMBERS, seed=5, stdout=out)
    assert Member.objects.active().count() == MEMBERS
    assert f"{Member.objects.count():,} members" in out.getvalue()
    assert f"{Event.objects.count():,} events" in out.getvalue()


def test_the_command_refuses_a_database_with_members(tree):
    admit(tree.cell_a, datetime.date(2020, 3, 1))
    with pytest.raises(CommandError, match="already has members"):
        call_command("generate_synthetic", members=MEMBERS, seed=5, stdout=io.StringIO())
    assert Member.objects.count() == 1
    assert not Unit.objects.filter(code__startswith="syn").exists()


def test_with_force_it_adds_a_tree_beside_the_members_already_there(tree):
    """Two roots then: each one's figures are its own, and the old tree's are unchanged."""
    member = admit(tree.cell_a, datetime.date(2020, 3, 1))
    year = (datetime.date(2020, 1, 1), datetime.date(2020, 12, 31))
    before = unit_figures(tree.root, *year)
    call_command("generate_synthetic", members=MEMBERS, seed=5, force=True, stdout=io.StringIO())
    assert unit_figures(tree.root, *year) == before
    synthetic_root = Unit.objects.get(code="syn5")
    figures = unit_figures(synthetic_root, datetime.date(2006, 1, 1), datetime.date(2025, 12, 31))
    assert figures.members_at_end == MEMBERS
    assert figures.balance_difference == 0
    assert Member.objects.filter(pk=member.pk).exists()
    # The same seed twice: refused, nothing added.
    count = Member.objects.count()
    with pytest.raises(CommandError, match="seed 5 is already here"):
        call_command(
            "generate_synthetic", members=MEMBERS, seed=5, force=True, stdout=io.StringIO()
        )
    assert Member.objects.count() == count


def _schema() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in (Member, Event, Membership)
        }


def test_the_bulk_load_leaves_every_index_and_constraint_as_it_was():
    """On PostgreSQL the load drops the secondary indexes and foreign keys and re-creates
    them from the catalog's definitions: the same names, columns and kinds afterwards."""
    before = _schema()
    synthetic.generate(members=MEMBERS, seed=8)
    assert _schema() == before
