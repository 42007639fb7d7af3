"""An import whose worker is gone (killed mid-check or mid-commit) can be checked again or
discarded; one that a worker still holds cannot (members.roster.locks)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from members import roster
from members.models import Member, RosterImport
from members.roster import locks
from tests.members.roster_files import book, member
from tests.members.workers import Holder

pytestmark = pytest.mark.django_db

Status = RosterImport.Status


@pytest.fixture
def office(cast, client):
    client.force_login(cast.users.office)
    return client


@pytest.fixture
def ri(cast, tmp_path, office, django_capture_on_commit_callbacks):
    """An import checked and READY, as the upload page leaves it."""
    data = book(tmp_path / "ds.xlsx", [member()]).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            reverse("members:roster_import_list"),
            {"file": SimpleUploadedFile("ds.xlsx", data)},
        )
    found = RosterImport.objects.latest("pk")
    assert found.status == Status.READY
    return found


def left_by_a_dead_worker(ri: RosterImport, status: str) -> RosterImport:
    RosterImport.objects.filter(pk=ri.pk).update(status=status, taken_at=timezone.now())
    ri.refresh_from_db()
    return ri


def post(client, view, ri, capture):
    with capture(execute=True):
        return client.post(reverse(f"members:{view}", args=[ri.pk]))


# --- the lock ------------------------------------------------------------------------------------


def test_the_lock_is_seen_while_another_worker_holds_it_and_not_after(ri):
    assert not locks.is_worked_on(ri)
    with Holder(ri):
        assert locks.is_worked_on(ri)
        assert locks.is_worked_on(ri)  # asking does not take it
    assert not locks.is_worked_on(ri)


def test_a_worker_that_ends_without_letting_go_frees_the_lock(ri):
    # As when a worker is killed: its connection (PostgreSQL) or its open file (SQLite)
    # goes, with no unlock.
    taken = threading.Event()

    backend = []

    def die_holding():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_lock(%s, %s)", [locks._KINDS[RosterImport][0], ri.pk]
                )
                cursor.execute("SELECT pg_backend_pid()")
                backend.append(cursor.fetchone()[0])
            taken.set()
            connection.close()
        else:
            handle = open(locks._lock_file(RosterImport, ri.pk), "a")  # noqa: SIM115
            locks.fcntl.flock(handle, locks.fcntl.LOCK_EX)
            taken.set()
            handle.close()

    thread = threading.Thread(target=die_holding)
    thread.start()
    thread.join(10)
    assert taken.is_set()
    if backend:
        # The server ends a session a moment after its client hangs up: wait for that.
        wait_until_session_ended(backend[0])
    assert not locks.is_worked_on(ri)


def wait_until_session_ended(pid: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # The test runs in one transaction, and PostgreSQL keeps the sessions it first read
            # in a transaction until it ends: drop that snapshot, or a session still there at
            # the first look stays there for good.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.02)
    pytest.fail(f"the server still had session {pid} after {seconds} s")


# --- the pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.CHECKING, Status.COMMITTING])
def test_an_interrupted_import_says_so_and_may_be_checked_again(
    office, ri, status, django_capture_on_commit_callbacks
):
    left_by_a_dead_worker(ri, status)
    assert roster.is_interrupted(ri)
    page = office.get(ri.get_absolute_url())
    html = page.content.decode()
    assert page.context["interrupted"] and not page.context["busy"]
    assert "dừng giữa chừng" in html
    assert "Đã dừng giữa chừng" in html and ri.get_status_display() not in html  # the badge
    assert 'http-equiv="refresh"' not in html
    assert reverse("members:roster_import_recheck", args=[ri.pk]) in html
    assert reverse("members:roster_import_discard", args=[ri.pk]) in html

    post(office, "roster_import_recheck", ri, django_capture_on_commit_callbacks)
    ri.refresh_from_db()
    assert ri.status == Status.READY and not roster.is_interrupted(ri)
    post(office, "roster_import_confirm", ri, django_capture_on_commit_callbacks)
    ri.refresh_from_db()
    assert ri.status == Status.DONE
    assert Member.objects.filter(citizen_id="092185000001").count() == 1


def test_an_interrupted_import_may_be_discarded(office, ri, django_capture_on_commit_callbacks):
    left_by_a_dead_worker(ri, Status.CHECKING)
    post(office, "roster_import_discard", ri, django_capture_on_commit_callbacks)
    ri.refresh_from_db()
    assert ri.status == Status.DISCARDED


def test_an_import_a_worker_holds_is_left_to_it(office, ri, django_capture_on_commit_callbacks):
    left_by_a_dead_worker(ri, Status.CHECKING)
    with Holder(ri):
        assert not roster.is_interrupted(ri)
        page = office.get(ri.get_absolute_url())
        assert page.context["busy"] and not page.context["interrupted"]
        assert reverse("members:roster_import_recheck", args=[ri.pk]) not in page.content.decode()
        post(office, "roster_import_recheck", ri, django_capture_on_commit_callbacks)
        post(office, "roster_import_discard", ri, django_capture_on_commit_callbacks)
    ri.refresh_from_db()
    assert ri.status == Status.CHECKING


def test_a_confirmed_import_waiting_for_a_worker_is_not_interrupted(office, ri):
    # The confirmation sets COMMITTING and queues the commit; until a worker takes it up
    # (taken_at), no one holds its lock, and that is not an interruption.
    RosterImport.objects.filter(pk=ri.pk).update(status=Status.COMMITTING, taken_at=None)
    ri.refresh_from_db()
    assert not roster.is_interrupted(ri)
    assert office.get(ri.get_absolute_url()).context["busy"]


def test_the_worker_marks_when_it_took_the_import_up(ri):
    RosterImport.objects.filter(pk=ri.pk).update(status=Status.COMMITTING, taken_at=None)
    ri.refresh_from_db()
    roster.commit(ri)
    ri.refresh_from_db()
    assert ri.status == Status.DONE and ri.taken_at is not None
    assert not roster.is_interrupted(ri)


def test_the_list_says_which_imports_were_interrupted_in_one_query(
    office, ri, cast, django_assert_max_num_queries
):
    others = [
        RosterImport.objects.create(
            file_name=f"{n}.xlsx", size=1, content=b"x", created_by=cast.users.office
        )
        for n in range(3)
    ]
    for other in others:
        left_by_a_dead_worker(other, Status.COMMITTING)
    # the list's 4 queries, and one for the locks
    with Holder(others[0]), django_assert_max_num_queries(5):
        page = office.get(reverse("members:roster_import_list"))
    assert page.context["interrupted"] == {others[1].pk, others[2].pk}
    assert page.content.decode().count("Đã dừng giữa chừng") == 2
