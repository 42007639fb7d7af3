"""Issue 28: a roster names its cells by code, by name, or by name and ward where names repeat;
every error says where it is as people say it ("trang Đảng viên, dòng 4")."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from branches.models import Unit
from branches.services import unit_create
from members import roster
from members.models import RosterImport
from tests.conftest import FOUNDED
from tests.members.roster_files import book
from tests.members.roster_files import member as row

pytestmark = pytest.mark.django_db


def checked(path) -> RosterImport:
    ri = roster.create_import(Path(path).read_bytes(), file_name=Path(path).name)
    return roster.check(ri)


@pytest.fixture
def second_ward(tree):
    """Another ward with a cell of the same name as the first ward's."""
    ward = unit_create(
        code="phuong-tan-loc",
        name="Đảng bộ phường Tân Lộc",
        kind=Unit.Kind.GRASSROOTS_COMMITTEE,
        founded_on=FOUNDED,
        parent=tree.root,
    )
    return unit_create(
        code="tan-loc-lt1",
        name=tree.cell_a.name,
        kind=Unit.Kind.CELL,
        founded_on=FOUNDED,
        parent=ward,
    )


def test_a_cell_named_by_its_unique_name_is_found(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code=tree.cell_b.name)])
    ri = checked(path)
    assert ri.status == RosterImport.Status.READY, roster.error_messages(ri)
    roster.commit(ri)
    assert tree.cell_b.members.count() == 1


def test_a_repeated_name_asks_for_the_ward_and_the_ward_settles_it(tree, second_ward, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code=tree.cell_a.name)])
    message = roster.error_messages(checked(path))[0]
    assert message.startswith("trang Đảng viên, dòng 2, cột Mã chi bộ: Có 2 đơn vị tên")
    with_ward = f"{tree.cell_a.name}, phường Tân Lộc"
    path = book(tmp_path / "ds2.xlsx", [row(unit_code=with_ward)])
    ri = checked(path)
    assert ri.status == RosterImport.Status.READY, roster.error_messages(ri)
    roster.commit(ri)
    assert second_ward.members.count() == 1 and tree.cell_a.members.count() == 0


def test_a_name_found_nowhere_is_reported_as_before(tree, tmp_path):
    path = book(tmp_path / "ds.xlsx", [row(unit_code="Chi bộ không có")])
    assert roster.error_messages(checked(path)) == [
        "trang Đảng viên, dòng 2, cột Mã chi bộ: Không có chi bộ mã “Chi bộ không có”."
    ]


def test_the_template_lists_the_cells_the_office_may_import_into(cast, client):
    client.force_login(cast.users.office)  # the ward's office: its two cells, not the others
    response = client.get(reverse("members:roster_template"))
    listed = load_workbook(io.BytesIO(response.content))["Chi bộ"]
    got = [tuple(r) for r in listed.iter_rows(min_row=2, values_only=True)]
    tree = cast.tree
    assert got == sorted(
        [
            (tree.cell_a.code, tree.cell_a.name, tree.gc.name),
            (tree.cell_b.code, tree.cell_b.name, tree.gc.name),
        ],
        key=lambda r: r[1],
    )
