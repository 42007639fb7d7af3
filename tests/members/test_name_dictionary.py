"""The dictionary of names (``MemberName``) that a search anywhere in a name looks in: every
member's folded name is in it, whichever way the member was written, so the search finds
everyone it should; on PostgreSQL the database refuses a member whose name is missing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from members.models import Member, MemberName
from tests.members.test_views_browse import listed, official_on_roll

pytestmark = pytest.mark.django_db


def missing_names() -> set[str]:
    known = set(MemberName.objects.values_list("name", flat=True))
    return set(Member.objects.values_list("name_folded", flat=True)) - known


def test_every_members_name_is_in_the_dictionary(cast):
    official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    assert Member.objects.count() > 1
    assert missing_names() == set()
    assert MemberName.objects.filter(name="huynh thi sen").exists()


def test_a_renamed_member_is_found_by_the_new_name_and_not_the_old(client, cast):
    member = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    assert listed(client, cast.users.board, q="sen") == [member]
    member.full_name = "Huỳnh Thị Lài"
    member.save(update_fields=["full_name"])
    assert missing_names() == set()
    assert listed(client, cast.users.board, q="lai") == [member]
    # The old name stays in the dictionary; it matches no one any more.
    assert MemberName.objects.filter(name="huynh thi sen").exists()
    assert listed(client, cast.users.board, q="sen") == []


def test_a_save_that_keeps_the_name_writes_no_name(cast, django_assert_num_queries):
    member = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    with django_assert_num_queries(2):  # the UPDATE and its audit-history row, no name
        member.save(update_fields=["status"])


def test_a_name_shared_by_two_members_is_kept_once_and_finds_both(client, cast):
    first = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    second = official_on_roll(cast.tree.cell_a, "HUỲNH  thị Sen")
    assert MemberName.objects.filter(name="huynh thi sen").count() == 1
    assert sorted(m.pk for m in listed(client, cast.users.board, q="thi sen")) == sorted(
        [first.pk, second.pk]
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's foreign key")
def test_the_database_refuses_a_member_whose_name_is_not_in_the_dictionary(cast):
    member = cast.members.a
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(name_folded="ten khong co")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's table options")
def test_the_dictionary_is_not_scanned_in_parallel():
    # Its trigram index is the fast way in; a parallel read of all its names was chosen
    # instead when workers were free, and was slower (migration 0011).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'members_membername'")
        assert "parallel_workers=0" in cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_the_dictionarys_names_are_sampled_finely_for_the_planner():
    # The planner's estimate of the names that contain a text comes from this sample; the
    # default 100 entries made it 66 times too small on the national data (migration 0011).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'members_membername'::regclass AND attname = 'name'"
        )
        assert cursor.fetchone()[0] == 1000
