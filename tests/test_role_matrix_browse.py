"""Every reading page for every role: who gets 200, who gets 404, and nobody may POST.

The cast (tests/cast.py): board and leader on the district (root), office on the Thốt Nốt
ward (gc: cell_a, cell_b), secretary on cell_b, other_office on the Thới Thuận ward (cell_o),
nobody without a role, admin a superuser.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from branches.models import Role, Unit

ROLES = ("board", "office", "secretary", "leader", "other_office", "nobody", "admin")

# Who may open each member's record (the others get 404).
MEMBER_READERS = {
    "a": {"board", "leader", "office", "admin"},  # cell_a
    "b": {"board", "leader", "office", "secretary", "admin"},  # cell_b
    "g": {"board", "leader", "admin"},  # gcell
    "o": {"board", "leader", "other_office", "admin"},  # cell_o
}

# Who may open each unit's page, by the attribute naming it on cast / cast.tree.
UNIT_READERS = {
    "root": {"board", "leader", "admin"},
    "gc": {"board", "leader", "office", "admin"},
    "cell_a": {"board", "leader", "office", "admin"},
    "cell_b": {"board", "leader", "office", "secretary", "admin"},
    "gcell": {"board", "leader", "admin"},
    "other": {"board", "leader", "other_office", "admin"},
    "cell_o": {"board", "leader", "other_office", "admin"},
}


def _unit(cast, name):
    return getattr(cast.tree, name, None) or getattr(cast, name)


def _pages(cast):
    """Every reading page: (label, url) for the pages without an object, then objects."""
    yield "home", reverse("home")
    yield "unit_tree", reverse("branches:unit_tree")
    yield "member_list", reverse("members:member_list")
    for name in UNIT_READERS:
        yield f"unit {name}", reverse("branches:unit_detail", args=[_unit(cast, name).code])
    for key in MEMBER_READERS:
        member = getattr(cast.members, key)
        yield f"member {key}", reverse("members:member_detail", args=[member.pk])


def _expected(label: str, role: str) -> int:
    kind, _, name = label.partition(" ")
    if kind == "unit":
        return 200 if role in UNIT_READERS[name] else 404
    if kind == "member":
        return 200 if role in MEMBER_READERS[name] else 404
    return 200


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_role(client, cast, role):
    client.force_login(getattr(cast.users, role))
    got = {label: client.get(url).status_code for label, url in _pages(cast)}
    expected = {label: _expected(label, role) for label, _url in _pages(cast)}
    assert got == expected


def test_anonymous_is_sent_to_login(client, cast):
    login = reverse("login")
    for label, url in _pages(cast):
        response = client.get(url)
        assert response.status_code == 302, label
        assert response["Location"].startswith(login), label


@pytest.mark.parametrize("role", ["board", "secretary", "admin"])
def test_post_is_refused_on_every_reading_page(client, cast, role):
    client.force_login(getattr(cast.users, role))
    for label, url in _pages(cast):
        if _expected(label, role) == 200:
            assert client.post(url).status_code == 405, label


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("board", {"a", "b", "g", "o"}),
        ("leader", {"a", "b", "g", "o"}),
        ("admin", {"a", "b", "g", "o"}),
        ("office", {"a", "b"}),
        ("secretary", {"b"}),
        ("other_office", {"o"}),
        ("nobody", set()),
    ],
)
def test_member_list_shows_exactly_the_scope(client, cast, role, visible):
    client.force_login(getattr(cast.users, role))
    response = client.get(reverse("members:member_list"))
    assert response.status_code == 200
    shown = {m.pk for m in response.context["page"].object_list}
    assert shown == {getattr(cast.members, key).pk for key in visible}


@pytest.mark.parametrize(
    ("role", "codes"),
    [
        ("board", {"root", "gc", "cell_a", "cell_b", "gcell", "other", "cell_o"}),
        ("office", {"gc", "cell_a", "cell_b"}),
        ("secretary", {"cell_b"}),
        ("other_office", {"other", "cell_o"}),
        ("nobody", set()),
    ],
)
def test_unit_tree_shows_exactly_the_scope(client, cast, role, codes):
    client.force_login(getattr(cast.users, role))
    response = client.get(reverse("branches:unit_tree"))
    shown = {
        item["unit"].code
        for group in response.context["groups"]
        for item in group["items"]
        if "unit" in item
    }
    assert shown == {_unit(cast, name).code for name in codes}


@pytest.mark.parametrize(
    ("role", "keys"),
    [
        ("board", {"a", "b", "g", "o"}),
        ("office", {"a", "b"}),
        ("secretary", {"b"}),
        ("other_office", {"o"}),
        ("nobody", set()),
    ],
)
def test_home_recent_events_stay_in_scope(client, cast, role, keys):
    client.force_login(getattr(cast.users, role))
    response = client.get(reverse("home"))
    shown = {e.member_id for e in response.context["recent"]}
    assert shown == {getattr(cast.members, key).pk for key in keys}


def _listed(client) -> set[int]:
    return {m.pk for m in client.get(reverse("members:member_list")).context["page"].object_list}


def test_a_role_given_or_taken_counts_from_the_next_request(client, cast):
    # The roles' units are kept on the request's user object (Role.objects.unit_ids_of), so
    # the next request, with a new user object, must see the change.
    client.force_login(cast.users.nobody)
    assert _listed(client) == set()
    role = Role.objects.create(
        user=cast.users.nobody, unit=cast.tree.cell_b, kind=Role.Kind.CELL_SECRETARY
    )
    assert _listed(client) == {cast.members.b.pk}
    role.delete()
    assert _listed(client) == set()


def test_the_roles_are_read_once_per_user_object(cast, django_assert_num_queries):
    user = get_user_model().objects.get(pk=cast.users.office.pk)
    with django_assert_num_queries(1):
        assert Role.objects.unit_ids_of(user) == [cast.tree.gc.pk]
        assert Role.objects.unit_ids_of(user, Role.EDITING_KINDS) == [cast.tree.gc.pk]
        assert Role.objects.unit_ids_of(user, [Role.Kind.LEADER]) == []
    with django_assert_num_queries(1):  # the units only: the roles are already known
        assert list(Unit.objects.visible_to(user).filter(pk=cast.tree.cell_b.pk)) == [
            cast.tree.cell_b
        ]
