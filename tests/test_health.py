"""The health endpoint: JSON, no sign-in, nothing about the server or its records."""

import json
import tempfile
from collections import namedtuple
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from thotnot_members import health

HEALTHY = {
    "Database(alias='default')": "OK",
    "Migrations(alias='default')": "OK",
    "Disk()": "OK",
    "Worker()": "OK",  # no worker to check: the tests run tasks inside the request
}

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def get(client, db):
    def get(**headers):
        response = client.get(reverse("health"), **headers)
        return response, json.loads(response.content)

    return get


def test_healthy_answers_200_json_without_sign_in(get):
    response, body = get()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body == HEALTHY
    assert "no-cache" in response["Cache-Control"]


def test_a_browser_gets_json_too(get):
    response, body = get(HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response["Content-Type"] == "application/json"
    assert body == HEALTHY


def test_a_migration_not_applied_is_a_failure(get, monkeypatch):
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)]
    )
    response, body = get()
    assert response.status_code == 500
    assert body["Migrations(alias='default')"] == "Unavailable: 1 migration(s) not applied"
    assert body["Database(alias='default')"] == "OK"


def test_a_full_disk_is_a_failure_that_names_no_path(get, monkeypatch, tmp_path):
    monkeypatch.setattr(health, "written_folders", lambda: [tmp_path])
    monkeypatch.setattr(health.shutil, "disk_usage", lambda path: Usage(100, 95, 5))
    response, body = get()
    assert response.status_code == 500
    assert body["Disk()"] == "Unavailable: a disk the app writes to is over 90% full"
    assert str(tmp_path) not in response.content.decode()


def test_the_folders_checked_are_where_the_app_writes(monkeypatch, tmp_path):
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "db.sqlite3"}
    monkeypatch.setattr(health, "settings", SimpleNamespace(DATABASES={"default": sqlite}))
    assert health.written_folders() == [Path(tempfile.gettempdir()), tmp_path]
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "thotnot"}
    monkeypatch.setattr(health, "settings", SimpleNamespace(DATABASES={"default": postgres}))
    assert health.written_folders() == [Path(tempfile.gettempdir())]
