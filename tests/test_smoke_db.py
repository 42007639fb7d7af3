"""The suite runs on the database DATABASE_URL names: PostgreSQL when it is a postgres URL,
SQLite otherwise (make test runs it on both)."""

import os

import pytest
from django.contrib.auth.models import Group
from django.db import connection


def expected_vendor() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith("postgres") else "sqlite"


@pytest.mark.django_db
def test_database_vendor_matches_database_url():
    assert connection.vendor == expected_vendor()

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 + 1")
        assert cursor.fetchone()[0] == 2

    group = Group.objects.create(name="smoke-test")
    assert Group.objects.get(pk=group.pk).name == "smoke-test"
