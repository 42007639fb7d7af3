"""Issue 30: CSV beside Excel, formula-like text written as text."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from branches.models import Role
from common.csvfile import csv_bytes
from tests.conftest import admit

PERIOD = {"from": "01/01/2024", "to": "31/12/2024"}


def read(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("text", ["=1+1", "+84 90", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_written_as_text(text):
    assert read(csv_bytes(["tên"], [[text]]))[1] == ["'" + text]


def test_plain_values_are_written_as_they_are():
    rows = read(
        csv_bytes(["a", "b", "c", "d"], [["Nguyễn Văn A", 3, datetime.date(2024, 5, 1), None]])
    )
    assert rows[1] == ["Nguyễn Văn A", "3", "01/05/2024", ""]


@pytest.fixture
def reader(tree, db):
    user = get_user_model().objects.create_user(username="lanhdao", password="x" * 12)
    Role.objects.create(user=user, unit=tree.gc, kind=Role.Kind.LEADER)
    return user


def test_form_1_as_csv_holds_the_pages_values(client, tree, reader):
    admit(tree.cell_a, datetime.date(2024, 3, 1))
    client.force_login(reader)
    page = client.get(reverse("reports:form1", args=[tree.gc.code]), PERIOD)
    response = client.get(reverse("reports:form1_csv", args=[tree.gc.code]), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read(response.content)
    table = page.context["official"].table
    assert len(rows) == 1 + len(table.rows) + (1 if table.total else 0)
    first = table.rows[0]
    assert rows[1][-len(first.cells) :] == [
        "" if c.value is None else str(c.value) for c in first.cells
    ]


def test_the_records_csv_writes_a_formula_name_as_text(client, tree, reader, directive28):
    admit(tree.cell_a, datetime.date(2024, 3, 1), full_name='=HYPERLINK("x")')
    client.force_login(reader)
    query = {**PERIOD, "figure": "members_at_end", "directive": ""}
    response = client.get(reverse("reports:records_csv", args=[tree.gc.code]), query)
    assert response.status_code == 200, response.content[:500]
    rows = read(response.content)
    assert rows[1][1] == '\'=HYPERLINK("x")'


def test_another_wards_form_csv_is_404(client, tree, reader):
    client.force_login(reader)
    assert (
        client.get(reverse("reports:form1_csv", args=[tree.root.code]), PERIOD).status_code == 404
    )
