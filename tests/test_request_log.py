"""Logs and errors (issue 29): a request ID on every response, in the access log's line and on
the server error page; one log format with the time's offset; error reports only to a DSN the
office sets."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from members.views import browse
from thotnot_members.middleware import LocalTimeFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_every_response_has_a_request_id_and_one_access_log_line(cast, client, caplog):
    client.force_login(cast.users.board)
    with caplog.at_level(logging.INFO, logger="thotnot.access"):
        response = client.get(reverse("members:member_list"), {"q": "Nguyễn Văn A"})
        again = client.get(reverse("members:member_list"))
    request_id = response["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    assert again["X-Request-ID"] != request_id  # one per request
    lines = [r for r in caplog.records if r.name == "thotnot.access"]
    assert len(lines) == 2
    first = lines[0]
    assert first.request_id == request_id
    message = first.getMessage()
    assert message.startswith(f"GET {reverse('members:member_list')} 200 ")
    assert f"user={cast.users.board.pk}" in message
    assert "Nguy" not in message  # the query string (a searched name) is never logged


def test_the_proxys_request_id_is_kept_and_a_malformed_one_replaced(client):
    kept = client.get(reverse("health"), HTTP_X_REQUEST_ID="4f1c2a9be0d34d5f")
    assert kept["X-Request-ID"] == "4f1c2a9be0d34d5f"
    replaced = client.get(reverse("health"), HTTP_X_REQUEST_ID="<script>\nx")
    assert HEX_ID.fullmatch(replaced["X-Request-ID"])


def test_the_access_log_can_be_turned_off(client, caplog, settings):
    settings.ACCESS_LOG = False
    with caplog.at_level(logging.INFO, logger="thotnot.access"):
        client.get(reverse("health"))
    assert not [r for r in caplog.records if r.name == "thotnot.access"]


def test_the_server_error_page_shows_the_request_id_the_log_names(cast, monkeypatch, caplog):
    def fail(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(browse.RecordView.objects, "create", fail)
    client = Client(raise_request_exception=False)
    client.force_login(cast.users.board)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get(reverse("members:member_detail", args=[cast.members.a.pk]))
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    page = response.content.decode()
    assert f'<code class="request-id">{request_id}</code>' in page
    assert "Mã lỗi để báo quản trị viên" in page
    (error,) = [r for r in caplog.records if r.name == "django.request"]
    assert error.request_id == request_id  # set by the log handler's filter, as it was written


def test_the_log_format_has_the_time_with_its_offset_and_the_request_id():
    record = logging.LogRecord("members", logging.WARNING, __file__, 1, "slow", (), None)
    record.created = 1796713509.25  # 2026-12-08 05:05:09.250 UTC
    RequestIdFilter().filter(record)
    formatter = LocalTimeFormatter(settings.LOGGING["formatters"]["plain"]["format"], style="{")
    line = formatter.format(record)
    assert re.fullmatch(r"2026-12-08T\d\d:05:09\.250[+-]\d{4} WARNING \[-\] members: slow", line), (
        line
    )


def run_settings(**env) -> subprocess.CompletedProcess:
    code = (
        "from django.conf import settings; import sentry_sdk;"
        "settings.INSTALLED_APPS; print(repr(sentry_sdk.get_client().dsn))"
    )
    full = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    full.update({"DJANGO_DEBUG": "true", **env})
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR,
        env=full,
        capture_output=True,
        text=True,
        check=True,
    )


def test_error_reports_are_off_unless_a_dsn_is_set():
    assert run_settings().stdout.strip() == "None"
    dsn = "http://public@sentry.office.internal/3"
    assert run_settings(SENTRY_DSN=dsn).stdout.strip() == repr(dsn)
