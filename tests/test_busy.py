"""The pages a user meets when a request cannot be done: the "busy" page when the database's
write lock is held past the wait (thotnot_members/busy.py; SQLite during a roster's commit),
and the server error page. Neither is Django's bare default."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from members.views import browse
from thotnot_members.busy import RETRY_AFTER

pytestmark = pytest.mark.django_db


def opening_a_record_fails_with(monkeypatch, error: Exception) -> None:
    """Opening a member's record writes who opened it (``RecordView``): make that write fail."""

    def fail(**kwargs):
        raise error

    monkeypatch.setattr(browse.RecordView.objects, "create", fail)


def record_url(cast) -> str:
    return reverse("members:member_detail", args=[cast.members.a.pk])


def test_a_request_refused_by_a_busy_database_gets_the_busy_page(cast, client, monkeypatch):
    """Not the server error page: nothing is wrong but the moment; the user may try again."""
    opening_a_record_fails_with(monkeypatch, OperationalError("database is locked"))
    client.force_login(cast.users.board)
    response = client.get(record_url(cast))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER)
    page = response.content.decode()
    assert "Hệ thống đang bận" in page
    assert "Chưa có gì được lưu" in page
    assert cast.users.board.username in page  # the site's own page, signed in


def test_the_busy_page_is_in_english_for_those_who_chose_it(cast, client, monkeypatch):
    opening_a_record_fails_with(monkeypatch, OperationalError("database table is locked"))
    client.force_login(cast.users.board)
    client.cookies["django_language"] = "en"
    response = client.get(record_url(cast))
    assert response.status_code == 503
    assert "The system is busy" in response.content.decode()


def test_any_other_database_failure_is_a_server_error(cast, monkeypatch):
    opening_a_record_fails_with(monkeypatch, OperationalError("disk I/O error"))
    client = Client(raise_request_exception=False)
    client.force_login(cast.users.board)
    response = client.get(record_url(cast))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Lỗi hệ thống" in page  # templates/500.html, not Django's bare "Server Error (500)"
    assert "Hệ thống đang bận" not in page
    assert 'href="/"' in page
    # Rendered without the request: no navigation, and no language switch (its form would
    # have no CSRF token, and be refused).
    assert 'name="language"' not in page
    assert "main-nav" not in page


def test_the_server_error_page_is_in_english_for_those_who_chose_it(cast, monkeypatch):
    opening_a_record_fails_with(monkeypatch, RuntimeError("a bug"))
    client = Client(raise_request_exception=False)
    client.force_login(cast.users.board)
    client.cookies["django_language"] = "en"
    response = client.get(record_url(cast))
    assert response.status_code == 500
    assert "System error" in response.content.decode()
