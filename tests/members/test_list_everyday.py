"""The member list for everyday use (issue 28): it opens on the members on the roll today,
other statuses by filter; a bad filter value says so; a citizen ID typed in groups is found;
the two ways of searching a name are named for what they do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import Event, Member, RemovalReason
from members.services import member_remove
from tests.cast import cast  # noqa: F401 (fixture)
from tests.conftest import admit, d, make_decision

LIST = reverse("members:member_list")


@pytest.fixture
def removed(cast):  # noqa: F811
    member = admit(cast.tree.cell_b, d("2020-01-01"), full_name="Đỗ Văn Xóa")
    member_remove(
        member=member,
        kind=Event.Kind.STRUCK_OFF,
        reason=RemovalReason.QUIT_ACTIVITIES,
        effective_date=d("2021-01-01"),
        decision=make_decision(d("2021-01-01")),
    )
    return Member.objects.get(pk=member.pk)


def shown(client, user, **params) -> set[str]:
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {m.full_name for m in response.context["page"].object_list}


def test_the_list_opens_on_the_members_on_the_roll(client, cast, removed):  # noqa: F811
    on_roll = shown(client, cast.users.board)
    assert removed.full_name not in on_roll
    assert cast.members.b.full_name in on_roll


def test_every_status_by_the_filter_all(client, cast, removed):  # noqa: F811
    assert removed.full_name in shown(client, cast.users.board, status="")
    assert shown(client, cast.users.board, status="removed") == {removed.full_name}


def test_a_bad_filter_value_gets_a_message_not_a_silent_empty_list(client, cast):  # noqa: F811
    client.force_login(cast.users.board)
    page = client.get(LIST, {"status": "nonsense"}).content.decode()
    assert "Một điều kiện lọc không hợp lệ" in page
    assert "Trạng thái:" in page
    assert "Tìm thấy 0" not in page


def test_a_citizen_id_typed_in_groups_is_found(client, cast):  # noqa: F811
    member = admit(
        cast.tree.cell_b, d("2020-01-01"), full_name="Hà Văn Số", citizen_id="092085001234"
    )
    for typed in ["0920 8500 1234", " 092 085 001 234 ", "092085001234"]:
        assert shown(client, cast.users.board, q=typed) == {member.full_name}


def test_the_search_modes_say_what_they_do(client, cast):  # noqa: F811
    client.force_login(cast.users.board)
    page = client.get(LIST).content.decode()
    assert "Họ tên có chứa các chữ đã gõ" in page
    assert "Họ tên bắt đầu bằng các chữ đã gõ (từ họ)" in page
    assert "Đầu tên" not in page


def test_units_that_share_a_name_show_their_parent_in_the_unit_filter(client, cast):  # noqa: F811
    from branches.models import Unit
    from branches.services import unit_create
    from tests.conftest import FOUNDED

    for code, parent in (("tm-1", cast.tree.gc), ("tm-2", cast.other)):
        unit_create(
            code=code,
            name="Chi bộ khu vực Tân Mỹ",
            kind=Unit.Kind.CELL,
            founded_on=FOUNDED,
            parent=parent,
        )
    client.force_login(cast.users.board)
    page = client.get(LIST).content.decode()
    assert "Chi bộ khu vực Tân Mỹ — Đảng bộ phường Thốt Nốt" in page
    assert "Chi bộ khu vực Tân Mỹ — Đảng bộ phường Thới Thuận" in page
    assert "Chi bộ khu vực Long Thạnh 1 —" not in page  # a unique name stays as it is
