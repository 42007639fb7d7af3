"""The cell picker of the entry forms: grouped by the unit above, in Vietnamese order, the
parent named where two groups share a name, and marked for the typing filter."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from branches.models import Role, Unit
from branches.services import unit_create
from branches.widgets import grouped_cells
from tests.conftest import FOUNDED, d

K = Unit.Kind


def cell(code, name, parent):
    return unit_create(code=code, name=name, kind=K.CELL, founded_on=FOUNDED, parent=parent)


@pytest.fixture
def wards(tree):
    """Two wards of the same name under two cities, cells named out of order."""
    other_city = unit_create(
        code="city-2", name="Thành ủy Long Xuyên", kind=K.ABOVE_GRASSROOTS, founded_on=FOUNDED
    )
    twin = unit_create(
        code="twin",
        name="Đảng bộ phường Thốt Nốt",
        kind=K.GRASSROOTS_COMMITTEE,
        founded_on=FOUNDED,
        parent=other_city,
    )
    cell("dong", "Chi bộ khu vực Đông Thạnh", tree.gc)
    cell("dan", "Chi bộ khu vực Dân Quân", tree.gc)
    cell("twin-1", "Chi bộ khu vực Long Thạnh 1", twin)
    an = unit_create(
        code="an",
        name="Đảng bộ phường An Hòa",
        kind=K.GRASSROOTS_COMMITTEE,
        founded_on=FOUNDED,
        parent=tree.root,
    )
    cell("an-1", "Chi bộ khu vực Bình Yên", an)
    return tree


def test_cells_are_grouped_by_parent_in_vietnamese_order(wards):
    groups = grouped_cells(Unit.objects.holding_members(), d("2024-01-01"))
    labels = [label for label, _cells in groups]
    assert labels == [
        "Đảng bộ phường An Hòa",
        "Đảng bộ phường Thốt Nốt — Quận ủy Thốt Nốt",
        "Đảng bộ phường Thốt Nốt — Thành ủy Long Xuyên",
        "Quận ủy Thốt Nốt",
    ]
    ward = dict(groups)["Đảng bộ phường Thốt Nốt — Quận ủy Thốt Nốt"]
    # D before Đ before L: Vietnamese order, not the code points' (Đ is U+0110).
    assert [name for _pk, name in ward] == [
        "Chi bộ khu vực Dân Quân",
        "Chi bộ khu vực Đông Thạnh",
        "Chi bộ khu vực Long Thạnh 1",
        "Chi bộ khu vực Long Thạnh 2",
    ]
    assert [name for _pk, name in dict(groups)["Quận ủy Thốt Nốt"]] == [
        "Chi bộ cơ sở Trường THPT Thốt Nốt"
    ]


def test_a_cell_is_grouped_under_its_parent_on_the_day(wards):
    moved = Unit.objects.get(code="dan")
    from branches.services import unit_move

    unit_move(unit=moved, new_parent=Unit.objects.get(code="an"), on=d("2025-07-01"))
    before = dict(grouped_cells(Unit.objects.filter(code="dan"), d("2025-06-30")))
    after = dict(grouped_cells(Unit.objects.filter(code="dan"), d("2025-07-01")))
    assert list(before) == ["Đảng bộ phường Thốt Nốt"]
    assert list(after) == ["Đảng bộ phường An Hòa"]


def test_the_admission_form_shows_the_picker_grouped_and_marked(wards, client, directive28):
    user = get_user_model().objects.create(username="office")
    Role.objects.create(user=user, unit=wards.root, kind=Role.Kind.BOARD)
    client.force_login(user)
    page = client.get(reverse("members:member_admit")).content.decode()
    select = re.search(r'<select name="unit"[^>]*>.*?</select>', page, re.S).group(0)
    assert "data-picker" in select
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    # Only the user's cells: the other city's ward is not theirs.
    assert groups == [
        "Đảng bộ phường An Hòa",
        "Đảng bộ phường Thốt Nốt",
        "Quận ủy Thốt Nốt",
    ]
    assert select.index("Dân Quân") < select.index("Đông Thạnh") < select.index("Long Thạnh 1")
    assert select.index('<option value=""') < select.index("<optgroup")  # the empty choice first
    assert 'src="/static/js/picker.js"' in page


def test_the_picker_keeps_a_choice_when_the_form_is_shown_again(wards, client, directive28):
    user = get_user_model().objects.create(username="office")
    Role.objects.create(user=user, unit=wards.root, kind=Role.Kind.BOARD)
    client.force_login(user)
    chosen = Unit.objects.get(code="dong")
    page = client.post(reverse("members:member_admit"), {"unit": chosen.pk}).content.decode()
    assert f'<option value="{chosen.pk}" selected>' in page
