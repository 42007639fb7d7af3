"""A search from the start of a name is a range of the folded names (``Prefix``, the
``prefix`` lookup): ``key <= name < after_prefix(key)`` in byte order, which finds exactly the
names that start with the key, on both databases."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from common.vntext import after_prefix
from members.models import Member
from tests.members.test_views_browse import official_on_roll

# Letters around the edges of the order: ASCII, Latin-1, the last character before the
# surrogates and the first after them, and the last character of all.
EDGES = "aijz%_\x7f\u00e0\u00f8\ud7ff\ue000\uffff\U0010ffff"
texts = st.text(alphabet=st.sampled_from(EDGES) | st.characters(exclude_categories=["Cs"]))


@given(texts, texts)
@example("nguyen thi", "nguyen thi a")
@example("nguyen thi", "nguyen thj")
@example("z\U0010ffff", "z\U0010ffffa")
@example("z\U0010ffff", "{")
@example("\ud7ff", "\ud7ff\U0010ffff")
@example("\ud7ff", "\ue000")
@example("\U0010ffff", "\U0010ffff\U0010ffff")
def test_a_prefix_is_the_range_up_to_the_string_after_it(prefix, text):
    upper = after_prefix(prefix)
    in_range = prefix <= text and (upper is None or text < upper)
    assert in_range == text.startswith(prefix)
    # The bound is text that the databases can store: UTF-8 has a form for it.
    if upper is not None:
        upper.encode()


def test_the_string_after_a_prefix():
    assert after_prefix("nguyen thi") == "nguyen thj"
    assert after_prefix("a\U0010ffff") == "b"
    assert after_prefix("\ud7ff") == "\ue000"
    assert after_prefix("\U0010ffff") is None
    assert after_prefix("") is None


NAMES = [
    "Nguyễn Thị",
    "Nguyễn Thị An",
    "Nguyễn Thịa",
    "Nguyễn Thj",
    "Nguyễn Th",
    "Nguyễn Thø",  # ø sorts after every ASCII letter
    "Nguyễn Thi\u007f",
    "A%b Lan",
    "Axb Lan",
    "A_b Lan",
    "Zz\U0010ffff",
    "Zz\U0010ffffa",
    "Z{",
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key",
    ["nguyen thi", "nguyen th", "nguyen thi ", "a%b", "a_b", "a", "zz\U0010ffff", "z", "q"],
)
def test_the_prefix_lookup_finds_exactly_the_names_that_start_with_it(cast, key):
    for name in NAMES:
        official_on_roll(cast.tree.cell_a, name)
    everyone = dict(Member.objects.values_list("pk", "name_folded"))
    expected = {pk for pk, name in everyone.items() if name.startswith(key)}
    assert set(Member.objects.filter(name_folded__prefix=key).values_list("pk", flat=True)) == (
        expected
    )
    assert expected or key == "q"  # each key but the last finds someone


@pytest.mark.django_db
def test_a_search_from_the_start_is_the_prefix_lookup(cast):
    official_on_roll(cast.tree.cell_a, "Nguyễn Thị An")
    official_on_roll(cast.tree.cell_a, "Nguyễn Thj")
    found = Member.objects.search("NGUYỄN thị", from_start=True)
    assert [m.full_name for m in found] == ["Nguyễn Thị An"]
    # No LIKE, which PostgreSQL tests again on every entry of the index's range.
    assert " LIKE " not in str(found.query)
