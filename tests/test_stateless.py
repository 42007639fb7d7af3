# ruff: noqa: F811  (test functions take the imported `cast` fixture as an argument)
"""App servers keep no state of their own: sessions and sign-in attempts are rows in the
database, and no request leaves a file on the server's disk.

Files are watched with a Python audit hook (PEP 578): every ``open`` for writing by Python code
in the process is recorded while a request runs. Each page is requested once before it is
watched: the first PDF of a process imports WeasyPrint, whose library look-up
(``ctypes.util.find_library``) makes temporary files once, at start-up, not per request.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.urls import reverse

from tests.cast import PASSWORD, cast  # noqa: F401

pytestmark = pytest.mark.django_db

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND

_recording: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _recording is None or event != "open":
        return
    path, mode, flags = args
    if isinstance(path, int) or path == os.devnull:  # a descriptor already counted; no file
        return
    if os.path.isdir(path):  # tempfile opens the folder's name; the file itself follows
        return
    writes = any(c in (mode or "") for c in "wax+") if mode else bool(flags & WRITE_FLAGS)
    if writes:
        _recording.append(os.fsdecode(path))


sys.addaudithook(_audit)


def files_written(client, method: str, url: str, data=None) -> tuple[int, list[str]]:
    global _recording
    _recording = []
    try:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response.status_code, _recording
    finally:
        _recording = None


@pytest.fixture(autouse=True)
def fixed_today():
    now = datetime.datetime(2023, 6, 5, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(now, tick=False):
        yield


def test_sessions_and_sign_in_attempts_are_kept_in_the_database(client, cast):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert client.login(request=HttpRequest(), username="board", password=PASSWORD)
    assert Session.objects.get(session_key=client.session.session_key)


def test_no_page_or_form_writes_a_file(client, cast):
    client.force_login(cast.users.office)
    period = "?from=01/01/2020&to=05/06/2023&directive=all"
    member = cast.members.a
    pages = [
        reverse("home"),
        reverse("branches:unit_tree"),
        reverse("branches:unit_detail", args=[cast.tree.gc.code]),
        reverse("members:member_list") + "?q=tran+thi",
        reverse("members:member_detail", args=[member.pk]),
        reverse("reports:unit_report", args=[cast.tree.gc.code]) + period,
        reverse("reports:unit_report_pdf", args=[cast.tree.gc.code]) + period,
    ]
    for url in pages:
        client.get(url)
        status, written = files_written(client, "get", url)
        assert (status, written) == (200, []), url
    recognition = {
        "effective_date": "01/03/2023",
        "decision_no": "20-QĐ/ĐU",
        "decision_date": "01/03/2023",
        "issuing_body": "Đảng ủy phường Thốt Nốt",
    }
    url = reverse("members:member_recognize", args=[member.pk])
    status, written = files_written(client, "post", url, recognition)
    assert (status, written) == (302, [])


def test_a_workbook_download_leaves_no_file_behind(client, cast):
    """openpyxl's write-only mode spools each sheet to a temporary file and deletes it once
    the workbook is saved, before the response is sent."""
    client.force_login(cast.users.office)
    url = reverse("reports:unit_report_xlsx", args=[cast.tree.gc.code]) + "?from=01/01/2020"
    client.get(url)
    status, written = files_written(client, "get", url)
    assert status == 200
    spooled = [p for p in written if Path(p).name.startswith("openpyxl.")]
    assert spooled, "openpyxl no longer spools to temporary files: update the README"
    for path in written:
        assert Path(path).is_relative_to(tempfile.gettempdir()), path
        assert not Path(path).exists(), path
