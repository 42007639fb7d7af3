"""A cast of users, one per role, over a small tree with members inside and outside each scope.

Tests take it as a ``cast`` argument (tests/conftest.py makes it available everywhere).
The tree is ``tests.conftest.tree`` plus a second grassroots organization:

    root   Quận ủy Thốt Nốt
    ├── gc      Đảng bộ phường Thốt Nốt
    │   ├── cell_a  Long Thạnh 1   (member_a, probationary since 01/03/2022)
    │   └── cell_b  Long Thạnh 2   (member_b, official)
    ├── gcell   Chi bộ cơ sở Trường THPT Thốt Nốt   (member_g, official)
    └── other   Đảng bộ phường Thới Thuận
        └── cell_o  Thới Thạnh     (member_o, official)

Users (password ``PASSWORD``): board (root, edit), office (gc, edit), secretary (cell_b,
read), leader (root, read), other_office (other, edit; an outsider to gc), nobody (no role),
admin (superuser).
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from branches.models import Role, Unit
from branches.services import unit_create
from tests.conftest import FOUNDED, admit, admit_official

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def cast(tree, directive28, django_user_model) -> SimpleNamespace:
    K = Unit.Kind
    other = unit_create(
        code="phuong-thoi-thuan",
        name="Đảng bộ phường Thới Thuận",
        kind=K.GRASSROOTS_COMMITTEE,
        founded_on=FOUNDED,
        parent=tree.root,
    )
    cell_o = unit_create(
        code="thoi-thanh",
        name="Chi bộ khu vực Thới Thạnh",
        kind=K.CELL,
        founded_on=FOUNDED,
        parent=other,
    )
    members = SimpleNamespace(
        a=admit(
            tree.cell_a,
            datetime.date(2022, 3, 1),
            full_name="Trần Thị Ánh",
            gender="female",
            directive=directive28,
        ),
        b=admit_official(tree.cell_b, datetime.date(2015, 5, 4), full_name="Lê Văn Bình"),
        g=admit_official(tree.gcell, datetime.date(2016, 6, 1), full_name="Phạm Minh Châu"),
        o=admit_official(cell_o, datetime.date(2014, 2, 3), full_name="Võ Văn Đông"),
    )

    def user(username: str, unit: Unit | None, kind: str | None, **extra):
        u = django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)
        if unit is not None:
            Role.objects.create(user=u, unit=unit, kind=kind)
        return u

    R = Role.Kind
    users = SimpleNamespace(
        board=user("board", tree.root, R.BOARD),
        office=user("office", tree.gc, R.GRASSROOTS_OFFICE),
        secretary=user("secretary", tree.cell_b, R.CELL_SECRETARY),
        leader=user("leader", tree.root, R.LEADER),
        other_office=user("other_office", other, R.GRASSROOTS_OFFICE),
        nobody=user("nobody", None, None),
        admin=get_user_model().objects.create_superuser(
            username="admin", password=PASSWORD, email=""
        ),
    )
    return SimpleNamespace(
        tree=tree,
        other=other,
        cell_o=cell_o,
        members=members,
        users=users,
        directive=directive28,
    )
