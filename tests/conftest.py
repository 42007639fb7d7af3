"""Shared fixtures: a small unit tree, Directive 28, helpers to write decisions and admit people.

All dates are fixed. The tree (founded 01/01/2010):

    root   Quận ủy Thốt Nốt                         (above grassroots)
    ├── gc      Đảng bộ phường Thốt Nốt             (grassroots committee)
    │   ├── cell_a  Chi bộ khu vực Long Thạnh 1     (cell)
    │   └── cell_b  Chi bộ khu vực Long Thạnh 2     (cell)
    └── gcell   Chi bộ cơ sở Trường THPT Thốt Nốt   (grassroots cell)
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import threading
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.db import connection, connections

from branches.models import Unit
from branches.services import unit_create
from members.models import Directive, Event, Member, Membership
from members.services import Decision, member_admit, member_recognize, probation_ends

FOUNDED = datetime.date(2010, 1, 1)
BORN = datetime.date(1985, 5, 17)


def d(text: str) -> datetime.date:
    """``d("2022-01-31")``: a fixed date, shorter to read in tables of events."""
    return datetime.date.fromisoformat(text)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Tests create users by the dozen: hash their passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Background tasks run inside the request that queues them: a test sees their outcome."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def tree(db) -> SimpleNamespace:
    K = Unit.Kind
    root = unit_create(
        code="thot-not", name="Quận ủy Thốt Nốt", kind=K.ABOVE_GRASSROOTS, founded_on=FOUNDED
    )
    gc = unit_create(
        code="phuong-thot-not",
        name="Đảng bộ phường Thốt Nốt",
        kind=K.GRASSROOTS_COMMITTEE,
        founded_on=FOUNDED,
        parent=root,
    )
    cell_a = unit_create(
        code="long-thanh-1",
        name="Chi bộ khu vực Long Thạnh 1",
        kind=K.CELL,
        founded_on=FOUNDED,
        parent=gc,
    )
    cell_b = unit_create(
        code="long-thanh-2",
        name="Chi bộ khu vực Long Thạnh 2",
        kind=K.CELL,
        founded_on=FOUNDED,
        parent=gc,
    )
    gcell = unit_create(
        code="thpt-thot-not",
        name="Chi bộ cơ sở Trường THPT Thốt Nốt",
        kind=K.GRASSROOTS_CELL,
        founded_on=FOUNDED,
        parent=root,
    )
    return SimpleNamespace(root=root, gc=gc, cell_a=cell_a, cell_b=cell_b, gcell=gcell)


@pytest.fixture
def directive28(db) -> Directive:
    return Directive.objects.create(
        code="28-CT/TW",
        title="Về nâng cao chất lượng kết nạp đảng viên và rà soát, sàng lọc, đưa những đảng viên "
        "không đủ tư cách ra khỏi Đảng",
        issued_on=datetime.date(2019, 1, 21),
        issuer="Ban Bí thư",
    )


_decision_numbers = itertools.count(1)


def make_decision(
    date: datetime.date, *, directive: Directive | None = None, number: str | None = None
) -> Decision:
    return Decision(
        number=number if number is not None else f"{next(_decision_numbers)}-QĐ/ĐU",
        date=date,
        issuing_body="Đảng ủy phường Thốt Nốt",
        directive=directive,
    )


_people = itertools.count(1)


def new_person(*, born: datetime.date = BORN, **fields) -> Member:
    """An unsaved member record with the required fields filled in."""
    n = next(_people)
    fields.setdefault("full_name", f"Nguyễn Văn Thử {n}")
    fields.setdefault("gender", "male")
    return Member(date_of_birth=born, **fields)


def admit(
    unit: Unit,
    on: datetime.date,
    *,
    ceremony: datetime.date | None = None,
    directive: Directive | None = None,
    born: datetime.date = BORN,
    **fields,
) -> Member:
    """Admit a new person to ``unit`` by a decision dated ``on`` (ceremony the same day)."""
    member = new_person(born=born, **fields)
    member_admit(
        member=member,
        unit=unit,
        decision=make_decision(on, directive=directive),
        ceremony_date=ceremony or on,
    )
    return member


def admit_official(
    unit: Unit, on: datetime.date, *, recognized: datetime.date | None = None, **fields
) -> Member:
    """Admit on ``on`` and recognize as official 12 months later, by a decision of that day
    (or of ``recognized``: official from the end of probation all the same, R8)."""
    member = admit(unit, on, **fields)
    end = probation_ends(member)
    recognized = recognized or end
    member_recognize(member=member, effective_date=end, decision=make_decision(recognized))
    member.refresh_from_db()
    return member


def _snapshot():
    return (
        list(Member.objects.order_by("pk").values_list()),
        list(Event.objects.order_by("pk").values_list()),
        list(Membership.objects.order_by("pk").values_list()),
    )


@contextlib.contextmanager
def nothing_written():
    """Assert that the block leaves members, events and roll periods exactly as they were."""
    before = _snapshot()
    yield
    after = _snapshot()
    assert after[0] == before[0], "members changed"
    assert after[1] == before[1], "events changed"
    assert after[2] == before[2], "roll periods changed"


def error_keys(error) -> set[str]:
    """The fields a ValidationError is keyed to (empty for a message-only error)."""
    return set(error.message_dict) if hasattr(error, "error_dict") else set()


def in_another_connection(work: Callable[[], object]) -> None:
    """Run ``work`` as another clerk's request would, on a database connection of its own (a
    thread: Django's connections are per thread), committed at once; wait for it."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


# Tests that commit from ``in_another_connection`` while the test's own connection holds a
# read transaction open.
WRITES_BESIDE_A_READ = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's test database is in memory with a shared cache, where another connection "
    "cannot write while a read transaction is open; SQLite transactions read one state of the "
    "database by themselves (tests of the same reads check that they run in one)",
)


# The cast of users per role (tests/cast.py), for every test module; imported last because it
# builds on the helpers above.
from tests.cast import cast  # noqa: E402, F401
