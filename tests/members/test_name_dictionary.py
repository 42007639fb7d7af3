"""The dictionary of names (``MemberName``) that a search anywhere in a name looks in: every
member's folded name is in it, whichever way the member was written, so the search finds
everyone it should; on PostgreSQL the database refuses a member whose name is missing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from common.vntext import fold, name_sort_floor, name_sort_key
from members.models import Member, MemberName
from members.services import member_record_save
from tests.members.test_views_browse import listed, official_on_roll
from tests.members.test_views_entry import edit_data
from tests.test_admin import post_data, url


def missing_names() -> set[str]:
    known = set(MemberName.objects.values_list("name", flat=True))
    return set(Member.objects.values_list("name_folded", flat=True)) - known


@pytest.mark.django_db
def test_every_members_name_is_in_the_dictionary(cast):
    official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    assert Member.objects.count() > 1
    assert missing_names() == set()
    assert MemberName.objects.filter(name="huynh thi sen").exists()


@pytest.mark.django_db
def test_a_renamed_member_is_found_by_the_new_name_and_not_the_old(client, cast):
    member = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    assert listed(client, cast.users.board, q="sen") == [member]
    member.full_name = "Huỳnh Thị Lài"
    member_record_save(member=member, update_fields=["full_name"])
    assert missing_names() == set()
    assert listed(client, cast.users.board, q="lai") == [member]
    # The old name stays in the dictionary; it matches no one any more.
    assert MemberName.objects.filter(name="huynh thi sen").exists()
    assert listed(client, cast.users.board, q="sen") == []


@pytest.mark.django_db
def test_a_save_that_keeps_the_name_writes_no_name(cast, django_assert_num_queries):
    member = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    with django_assert_num_queries(2):  # the UPDATE and its audit-history row, no name
        member_record_save(member=member, update_fields=["status"])


@pytest.mark.django_db
def test_the_models_save_alone_writes_no_name(cast):
    # The dictionary is kept by the writers (members.search.ensure_names), not by save(): a
    # rename saved alone writes no name (and PostgreSQL's foreign key refuses it).
    member = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    member.full_name = "Huỳnh Thị Lài"
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError:
            assert connection.vendor == "postgresql"
        else:
            assert connection.vendor != "postgresql"
    assert not any("members_membername" in q["sql"] for q in queries.captured_queries)
    assert not MemberName.objects.filter(name="huynh thi lai").exists()


@pytest.mark.django_db
def test_a_record_renamed_on_its_edit_page_is_in_the_dictionary(client, cast):
    member = cast.members.b
    client.force_login(cast.users.office)
    response = client.post(
        reverse("members:member_edit", args=[member.pk]),
        edit_data(member, full_name="Huỳnh Thị Lài"),
    )
    assert response.status_code == 302
    assert missing_names() == set()
    assert listed(client, cast.users.board, q="thi lai") == [member]


@pytest.mark.django_db
def test_a_member_renamed_in_the_admin_is_in_the_dictionary(client, cast):
    member = cast.members.b
    client.force_login(cast.users.admin)
    page = client.get(url(Member, "change", member.pk))
    data = {**post_data(page), "full_name": "Huỳnh Thị Lài"}
    assert client.post(url(Member, "change", member.pk), data).status_code == 302
    assert missing_names() == set()
    assert MemberName.objects.filter(name="huynh thi lai").exists()


@pytest.mark.django_db
def test_a_name_shared_by_two_members_is_kept_once_and_finds_both(client, cast):
    first = official_on_roll(cast.tree.cell_a, "Huỳnh Thị Sen")
    second = official_on_roll(cast.tree.cell_a, "HUỲNH  thị Sen")
    assert MemberName.objects.filter(name="huynh thi sen").count() == 1
    assert sorted(m.pk for m in listed(client, cast.users.board, q="thi sen")) == sorted(
        [first.pk, second.pk]
    )


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's foreign key")
def test_the_database_refuses_a_member_whose_name_is_not_in_the_dictionary(cast):
    member = cast.members.a
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(name_folded="ten khong co")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's table options")
def test_the_dictionary_is_not_scanned_in_parallel():
    # Its trigram index is the fast way in; a parallel read of all its names was chosen
    # instead when workers were free, and was slower (migration 0011).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'members_membername'")
        assert "parallel_workers=0" in cursor.fetchone()[0]


@pytest.mark.django_db
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


# --- the sort floor: where a walk of the name order for a prefix's matches starts -----------

# Letters a tired clerk, or an import, may type into a name: plain and accented Vietnamese
# letters in either case, digits, letters of other languages, and loose combining marks (tones,
# the marks that make ă â ê ô ơ ư, and marks Vietnamese has not), which rank as letters.
NAME_CHARS = (
    "abcdeghiklmnopqrstuvxyzwfj"
    "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ĂÂĐÊÔƠƯÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
    "ABCDEGHIKLMNOPQRSTUVXYZ0123456789-'.øðßçñüİẞ"
    "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b\u0308\u0307\u0324\u030c"
)
words = st.text(alphabet=NAME_CHARS, min_size=1, max_size=7)
names = st.lists(words, min_size=1, max_size=5).map(" ".join)


@given(names)
@example("Nguyễn Thị Ánh")
@example("Đỗ Văn Ba")
@example("Lê Thị A\u03240")  # a loose mark ranks below a digit: the word "a0" is no bound
@example("Lê A\u030cø")  # ...and a caron below "ø": only words of a-z bound a name
@example("Trần \u0301 Ba")  # a word of marks alone folds to nothing
def test_no_spelling_of_a_name_sorts_below_its_names_floor(full_name):
    assert name_sort_floor(fold(full_name)) <= name_sort_key(full_name)


@given(st.lists(st.text(alphabet="abcdeghiklmnopqrstuvxy", min_size=1, max_size=7), min_size=1))
def test_a_plain_names_floor_is_its_own_sort_key(parts):
    # The bound is as tight as it can be: the name spelled without accents sorts at it.
    plain = " ".join(parts)
    assert name_sort_floor(plain) == name_sort_key(plain)


def test_a_floor_stops_before_the_first_word_that_is_not_plain_letters():
    # Given name first, as in the sort key: "ba", then "le"; "a0" is not plain letters.
    assert name_sort_floor("le a0 ba") == name_sort_key("le ba")
    assert name_sort_floor("le thi 2") == ""
    assert name_sort_floor("le  ba") == name_sort_floor(" le ba") == name_sort_floor("") == ""


@pytest.mark.django_db
def test_each_name_is_written_with_its_floor(cast):
    member = official_on_roll(cast.tree.cell_a, "Nguyễn Thị Ánh")
    member.full_name = "Nguyễn Thị Ø Lan"
    member_record_save(member=member, update_fields=["full_name"])
    floors = dict(MemberName.objects.values_list("name", "sort_floor"))
    assert floors["nguyen thi anh"] == name_sort_key("nguyen thi anh")
    assert floors["nguyen thi ø lan"] == name_sort_key("nguyen thi lan")  # cut before "ø"
    assert all(floor == name_sort_floor(name) for name, floor in floors.items())
