"""Vietnamese order on PostgreSQL: the database's ICU ``vi-VN`` collation sorts names as the
stored sort key does, and the system check (members/checks.py) warns about a database that
sorts otherwise.

The test cluster (scripts/pg_test_server.sh) is created with ICU ``vi-VN``, as the README says
the production database must be.
"""

from __future__ import annotations

import contextlib
import datetime
import random

import psycopg
import pytest
from django.core.checks import Tags, registry
from django.db import connection, connections

from common.vntext import name_sort_key
from members import checks
from members.checks import check_vietnamese_collation, collation_problem
from members.models import Member
from tests.conftest import admit

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's collation"
)

# Vietnamese dictionary order: a < ă < â, d < đ, e < ê, o < ô < ơ, u < ư; tones after the bare
# letter: none, huyền, hỏi, ngã, sắc, nặng.
GIVEN_NAMES = [
    "An",
    "Anh",
    "Ành",
    "Ảnh",
    "Ãnh",
    "Ánh",
    "Ạnh",
    "Ăn",
    "Ân",
    "Bình",
    "Dương",
    "Đặng",
    "Em",
    "Ê",
    "Oanh",
    "Ổn",
    "Ơn",
    "Uyên",
    "Ư",
]


@on_postgresql
def test_postgresql_orders_full_names_in_vietnamese_order_as_the_sort_key_does(tree):
    shuffled = GIVEN_NAMES.copy()
    random.Random(28).shuffle(shuffled)
    for given in shuffled:
        admit(tree.cell_a, datetime.date(2022, 3, 1), full_name=f"Nguyễn Văn {given}")
    expected = [f"Nguyễn Văn {given}" for given in GIVEN_NAMES]

    by_sql = list(Member.objects.order_by("full_name").values_list("full_name", flat=True))
    by_key = list(Member.objects.order_by("name_sort_key").values_list("full_name", flat=True))

    assert by_sql == expected
    assert by_key == expected
    assert sorted(expected, key=name_sort_key) == expected


def test_the_check_is_silent_on_sqlite_and_on_a_vietnamese_icu_database(db):
    assert check_vietnamese_collation(databases=["default"]) == []


def test_the_check_runs_with_the_database_checks_of_migrate():
    assert check_vietnamese_collation in registry.registry.get_checks()
    assert Tags.database in check_vietnamese_collation.tags


@contextlib.contextmanager
def scratch_database(name: str, locale_sql: str):
    """A new, empty database on the test server, with a Django connection to it."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 {locale_sql}')
        wrapper = type(connections["default"])
        other = wrapper({**connection.settings_dict, "NAME": name}, alias=name)
        try:
            yield other
        finally:
            other.close()
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@on_postgresql
@pytest.mark.parametrize(
    ("locale_sql", "found"),
    [
        ("LOCALE_PROVIDER libc LOCALE 'C.UTF-8'", "libc 'C.UTF-8'"),
        ("LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", "ICU 'en-US'"),
    ],
)
def test_the_check_warns_when_the_database_sorts_otherwise(db, monkeypatch, locale_sql, found):
    with scratch_database("thotnot_collation_probe", locale_sql) as other:
        assert collation_problem(other) == f"its default collation is {found}"
        monkeypatch.setattr(checks, "connections", {"default": other})
        [warning] = check_vietnamese_collation(databases=["default"])
    assert warning.id == "members.W001"
    assert "'thotnot_collation_probe' (default) does not sort Vietnamese text" in warning.msg
    assert f"its default collation is {found}" in warning.msg
    assert "ICU_LOCALE 'vi-VN'" in warning.hint
