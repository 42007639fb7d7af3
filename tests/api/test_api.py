"""Issue 30, item 7: the read-only API's tokens, scope, log and figures."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiCall, ApiToken
from branches.models import Unit
from branches.services import unit_create
from tests.conftest import FOUNDED, admit

PERIOD = {"from": "01/01/2024", "to": "31/12/2024"}


@pytest.fixture
def wards(tree, django_user_model):
    """A second ward beside the tree's, a member in each, a token on each ward."""
    other = unit_create(
        code="phuong-tan-loc",
        name="Đảng bộ phường Tân Lộc",
        kind=Unit.Kind.GRASSROOTS_COMMITTEE,
        founded_on=FOUNDED,
        parent=tree.root,
    )
    other_cell = unit_create(
        code="tan-loc-1",
        name="Chi bộ Tân Lộc 1",
        kind=Unit.Kind.CELL,
        founded_on=FOUNDED,
        parent=other,
    )
    ours = admit(tree.cell_a, datetime.date(2024, 3, 1), full_name="Lê Văn Của Ta")
    theirs = admit(other_cell, datetime.date(2024, 4, 1), full_name="Phạm Thị Của Họ")
    admin = django_user_model.objects.create_superuser(username="quantri", password="x" * 12)
    token, key = ApiToken.issue(
        name="Phường Thốt Nốt", unit=tree.gc, created_by=admin, may_read_roster=True
    )
    return type(
        "Wards",
        (),
        dict(other=other, ours=ours, theirs=theirs, admin=admin, token=token, key=key),
    )


def call(path: str, key: str, **params):
    return Client().get(f"/api/v1{path}", params, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_wards_token_reads_its_own_members_and_never_another_wards(tree, wards):
    own = call(f"/units/{tree.gc.code}/members", wards.key)
    assert own.status_code == 200
    names = [m["full_name"] for m in own.json()["members"]]
    assert names == ["Lê Văn Của Ta"]

    for code in (wards.other.code, "tan-loc-1", tree.root.code):
        assert call(f"/units/{code}/members", wards.key).status_code == 404
        assert call(f"/units/{code}/report", wards.key, **PERIOD).status_code == 404


def test_the_roster_needs_a_token_that_allows_it(tree, wards):
    _token, key = ApiToken.issue(name="số liệu", unit=tree.gc, created_by=wards.admin)
    assert call(f"/units/{tree.gc.code}/members", key).status_code == 403
    assert call(f"/units/{tree.gc.code}/report", key, **PERIOD).status_code == 200


def test_a_revoked_or_unknown_key_is_refused(tree, wards):
    assert call(f"/units/{tree.gc.code}/report", wards.key, **PERIOD).status_code == 200
    wards.token.revoke()
    assert call(f"/units/{tree.gc.code}/report", wards.key, **PERIOD).status_code == 401
    assert call(f"/units/{tree.gc.code}/report", "tn_guessed", **PERIOD).status_code == 401
    assert Client().get(f"/api/v1/units/{tree.gc.code}/report").status_code == 401


def test_the_key_is_stored_only_as_its_hash(wards):
    stored = ApiToken.objects.get(pk=wards.token.pk)
    assert wards.key not in (stored.key_hash, stored.key_hint)
    assert ApiToken.objects.for_key(wards.key) == stored


def test_each_call_leaves_a_log_row(tree, wards):
    call(f"/units/{tree.gc.code}/members", wards.key)
    call(f"/units/{wards.other.code}/members", wards.key)
    call(f"/units/{tree.gc.code}/forms/1", wards.key, **PERIOD)
    wards.token.revoke()
    call(f"/units/{tree.gc.code}/forms/1", wards.key, **PERIOD)

    rows = list(ApiCall.objects.order_by("pk").values_list("unit_code", "status", "records"))
    assert rows == [
        (tree.gc.code, 200, 1),
        (wards.other.code, 404, 0),
        (tree.gc.code, 200, 0),
        ("", 401, 0),
    ]
    assert all(c.token_id == wards.token.pk for c in ApiCall.objects.all())


def test_the_figures_equal_the_report_pages(client, tree, wards, directive28):
    client.force_login(wards.admin)
    page = client.get(reverse("reports:unit_report", args=[tree.root.code]), PERIOD)
    _token, key = ApiToken.issue(name="quận", unit=tree.root, created_by=wards.admin)
    body = call(f"/units/{tree.root.code}/report", key, **PERIOD).json()

    on_page = {name: cell.value for name, _label, cell in page.context["key_figures"]}
    assert body["key_figures"] == on_page
    assert on_page["members_at_end"] == 2  # the two admitted in 2024 are on the roll
    page_tables = [[[c.value for c in r.cells] for r in t.rows] for t in page.context["tables"]]
    assert [[r["values"] for r in t["rows"]] for t in body["tables"]] == page_tables


def test_the_official_forms_equal_their_pages(client, tree, wards):
    client.force_login(wards.admin)
    for number, view in ((1, "reports:form1"), (2, "reports:form2")):
        page = client.get(reverse(view, args=[tree.gc.code]), PERIOD)
        body = call(f"/units/{tree.gc.code}/forms/{number}", wards.key, **PERIOD).json()
        expected = [[c.value for c in r.cells] for r in page.context["official"].table.rows]
        assert [r["values"] for r in body["table"]["rows"]] == expected


def test_the_openapi_schema_is_served(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/units/{code}/members" in paths
    assert "/api/v1/units/{code}/report" in paths


def test_the_rosters_query_count_does_not_grow_with_the_members(tree, wards):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert call(f"/units/{tree.gc.code}/members", wards.key).status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        admit(tree.cell_b, datetime.date(2024, 5, 1 + n))
    assert queries() == few
    # The token, the unit, the members, the log row.
    assert few == 4
