# ruff: noqa: F811  (test functions take the imported `cast` fixture as an argument)
"""The read replica (thotnot_members/replica.py): the reports read from it, everything else
reads from the primary, writes and migrations only go to the primary.

tests/settings.py adds the ``replica`` alias as a test mirror of ``default``: the same test
database through a second connection, so each connection's captured queries say where a query
went. The tests commit (``transaction=True``) so that the second connection sees the rows.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import subprocess
import sys
import zoneinfo
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Unit
from members.models import Member
from reports import figures
from tests.cast import cast  # noqa: F401
from tests.conftest import WRITES_BESIDE_A_READ, admit, in_another_connection
from thotnot_members.replica import report_reads

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

PERIOD = "from=01/01/2020&to=05/06/2023&directive=all"
REPORTS = [
    "reports:unit_report",
    "reports:unit_report_pdf",
    "reports:unit_report_xlsx",
    "reports:form1",
    "reports:form1_pdf",
    "reports:form2_xlsx",
    "reports:records",
]
# What a signed-in request reads before any view runs: the session and the user. Both stay on
# the primary (a session written a moment ago may not have reached the replica).
SIGN_IN_TABLES = ('"django_session"', '"auth_user"')


@pytest.fixture(autouse=True)
def fixed_today():
    now = datetime.datetime(2023, 6, 5, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(now, tick=False):
        yield


@pytest.fixture
def replica(settings):
    """A deployment with DATABASE_REPLICA_URL set."""
    settings.REPORTS_DATABASE = "replica"


@contextlib.contextmanager
def queries_by_alias():
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        yield SimpleNamespace(default=default, replica=replica)


def sql(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def only_sign_in(captured) -> bool:
    """Only the session, the user and the log of the read (a write: the primary's) on default."""
    return all(
        any(t in query for t in SIGN_IN_TABLES)
        or query.startswith('INSERT INTO "members_bulkread"')
        for query in sql(captured)
    )


def report_url(name: str, unit: Unit) -> str:
    extra = "&figure=admitted" if name == "reports:records" else ""
    return f"{reverse(name, args=[unit.code])}?{PERIOD}{extra}"


@pytest.mark.parametrize("name", REPORTS)
def test_report_pages_and_downloads_read_from_the_replica(client, cast, replica, name):
    client.force_login(cast.users.board)
    with queries_by_alias() as queries:
        response = client.get(report_url(name, cast.tree.root))
    assert response.status_code == 200
    assert len(queries.replica) > 0
    assert only_sign_in(queries.default), sql(queries.default)
    assert not any(t in q for q in sql(queries.replica) for t in SIGN_IN_TABLES)


def test_the_report_command_reads_from_the_replica(cast, replica):
    out = StringIO()
    args = ["--unit", "thot-not", "--from", "01/01/2020", "--to", "05/06/2023"]
    with queries_by_alias() as queries:
        call_command("directive28_report", *args, stdout=out)
    assert json.loads(out.getvalue())["members_at_end"] == 4
    assert len(queries.replica) > 0
    assert len(queries.default) == 0, sql(queries.default)


PAGES = ["home", "branches:unit_tree", "members:member_list", "members:member_admit"]


@pytest.mark.parametrize("name", PAGES)
def test_staff_pages_read_from_the_primary_only(client, cast, replica, name):
    client.force_login(cast.users.board)
    with queries_by_alias() as queries:
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert len(queries.replica) == 0, sql(queries.replica)
    assert len(queries.default) > 0


def test_an_admission_is_written_to_the_primary_and_read_back_from_it(client, cast, replica):
    client.force_login(cast.users.office)
    data = {
        "full_name": "Đặng Thị Hồng Nhung",
        "gender": "female",
        "date_of_birth": "12/08/1995",
        "ethnicity": "01",
        "religion": "none",
        "occupation_group": "other",
        "general_education": "upper_secondary",
        "professional_level": "university",
        "academic_title": "none",
        "political_theory": "none",
        "decision_no": "15-QĐ/ĐU",
        "decision_date": "05/06/2023",
        "issuing_body": "Đảng ủy phường Thốt Nốt",
        "unit": str(cast.tree.cell_a.pk),
        "ceremony_date": "05/06/2023",
    }
    with queries_by_alias() as queries:
        response = client.post(reverse("members:member_admit"), data)
        assert response.status_code == 302, response.context["form"].errors
        record = client.get(response["Location"])
    assert record.status_code == 200
    assert "Đặng Thị Hồng Nhung" in record.content.decode()
    assert len(queries.replica) == 0, sql(queries.replica)
    assert Member.objects.filter(full_name="Đặng Thị Hồng Nhung").exists()


def test_without_a_replica_the_reports_read_from_the_primary(client, cast):
    assert django_settings.REPORTS_DATABASE == "default"
    client.force_login(cast.users.board)
    with queries_by_alias() as queries:
        response = client.get(report_url("reports:unit_report", cast.tree.root))
    assert response.status_code == 200
    assert len(queries.replica) == 0
    assert len(queries.default) > 0


# --- the router ----------------------------------------------------------------------------------


def test_an_object_read_from_the_replica_is_saved_on_the_primary(cast, replica):
    with report_reads():
        unit = Unit.objects.get(pk=cast.tree.cell_a.pk)
    assert unit._state.db == "replica"
    with queries_by_alias() as queries:
        unit.name = "Chi bộ khu vực Long Thạnh Một"
        unit.save(update_fields=["name"])
        # outside the reports, its relations are read from the primary too
        list(unit.members.all())
    assert len(queries.replica) == 0
    statements = " ".join(sql(queries.default))
    assert 'UPDATE "branches_unit"' in statements and 'FROM "members_member"' in statements


def test_reads_inside_a_transaction_on_the_primary_stay_on_it(cast, replica):
    with transaction.atomic(), report_reads():
        assert router.db_for_read(Unit) == "default"
    with report_reads():
        assert router.db_for_read(Unit) == "replica"
    assert router.db_for_read(Unit) == "default"


def test_sessions_and_users_are_read_from_the_primary_even_inside_the_reports(replica):
    with report_reads():
        assert router.db_for_read(get_user_model()) == "default"
        assert router.db_for_read(Session) == "default"
        assert router.db_for_read(Member) == "replica"


def test_migrations_and_writes_only_on_the_primary(replica):
    assert router.allow_migrate("default", "members")
    assert not router.allow_migrate("replica", "members")
    with report_reads():
        assert router.db_for_write(Member) == "default"


@pytest.mark.django_db(transaction=False, databases=["default"])
def test_the_replica_url_adds_the_alias_and_sends_the_reports_there():
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps([sorted(settings.DATABASES), settings.REPORTS_DATABASE, "
        "settings.DATABASES.get('replica', {}).get('HOST'), "
        "settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')]))"
    )

    def settings_with(**env) -> list:
        environ = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
        environ.update(DJANGO_SETTINGS_MODULE="thotnot_members.settings", **env)
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            cwd=django_settings.BASE_DIR,
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    assert settings_with() == [["default"], "default", None, None]
    url = "postgres://reader:secret@replica.example.internal:5432/thotnot"
    assert settings_with(DATABASE_REPLICA_URL=url) == [
        ["default", "replica"],
        "replica",
        "replica.example.internal",
        "default",
    ]


# --- one snapshot --------------------------------------------------------------------------------


def admit_in_another_connection(unit: Unit, day: datetime.date, directive) -> None:
    in_another_connection(lambda: admit(unit, day, full_name="Võ Thị Thu", directive=directive))


@WRITES_BESIDE_A_READ
@pytest.mark.parametrize("deployment", ["primary", "replica"])
def test_a_report_counts_from_one_snapshot_while_a_clerk_commits_an_admission(
    client, cast, settings, monkeypatch, deployment
):
    if deployment == "replica":
        settings.REPORTS_DATABASE = "replica"
    client.force_login(cast.users.board)
    url = report_url("reports:unit_report", cast.tree.root)
    before = client.get(url).context["report"].figures
    rolls = figures._roll_counts

    def rolls_after_a_commit(unit, start, end, *, children=None):
        # The children's figures: their flows are read, their rolls not (the unit's own
        # figures, read after them, are one snapshot by themselves: ``unit_figures``).
        if children is not None:
            admit_in_another_connection(cast.tree.cell_a, datetime.date(2023, 5, 2), cast.directive)
        return rolls(unit, start, end, children=children)

    monkeypatch.setattr(figures, "_roll_counts", rolls_after_a_commit)
    during = client.get(url).context["report"]
    monkeypatch.undo()
    # The admission came after the report's first read: none of its figures counts it.
    assert Member.objects.filter(full_name="Võ Thị Thu").exists()
    assert during.balance.ok, during.balance.text
    assert during.figures == before
    after = client.get(url).context["report"]
    assert after.balance.ok
    assert after.figures.members_at_end == before.members_at_end + 1
    assert after.figures.all_events.admitted == before.all_events.admitted + 1


@WRITES_BESIDE_A_READ
def test_a_units_figures_outside_the_reports_are_read_from_one_snapshot(client, cast, monkeypatch):
    """The home page and a unit's page show ``unit_figures`` outside ``report_reads``."""
    start, end = datetime.date(2023, 1, 1), datetime.date(2023, 6, 5)
    before = figures.unit_figures(cast.tree.root, start, end)
    rolls = figures._roll_counts

    def rolls_after_a_commit(unit, start, end, *, children=None):
        admit_in_another_connection(cast.tree.cell_a, datetime.date(2023, 5, 2), cast.directive)
        return rolls(unit, start, end, children=children)

    monkeypatch.setattr(figures, "_roll_counts", rolls_after_a_commit)
    during = figures.unit_figures(cast.tree.root, start, end)
    monkeypatch.undo()
    assert during == before
    assert during.balance_difference == 0
    after = figures.unit_figures(cast.tree.root, start, end)
    assert after.all_events.admitted == before.all_events.admitted + 1
    assert after.balance_difference == 0
    client.force_login(cast.users.board)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("deployment", ["primary", "replica"])
def test_a_report_reads_in_one_read_only_transaction(client, cast, settings, deployment):
    if deployment == "replica":
        settings.REPORTS_DATABASE = "replica"
    reports = connections[settings.REPORTS_DATABASE]
    seen = []

    def note(execute, sql, params, many, context):
        if "members_event" in sql or "members_membership" in sql:
            seen.append(reports.in_atomic_block)
        return execute(sql, params, many, context)

    client.force_login(cast.users.board)
    with reports.execute_wrapper(note):
        response = client.get(report_url("reports:unit_report", cast.tree.root))
    assert response.status_code == 200
    assert len(seen) >= 5 and all(seen), seen
    assert not reports.in_atomic_block  # and closed with the request
    if reports.vendor == "postgresql":
        with report_reads(), connections[settings.REPORTS_DATABASE].cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone() == ("repeatable read",)
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone() == ("on",)


def test_inside_a_transaction_already_open_the_reports_read_within_it(cast):
    """A caller's transaction (with its own writes) is kept: no savepoint, no new isolation."""
    with transaction.atomic():
        member = admit(cast.tree.cell_a, datetime.date(2023, 5, 2), directive=cast.directive)
        with report_reads():
            assert connections["default"].savepoint_ids == []
            seen = figures.unit_figures(
                cast.tree.root, datetime.date(2023, 1, 1), datetime.date(2023, 6, 5)
            )
        assert seen.all_events.admitted >= 1
        transaction.set_rollback(True)
    assert not Member.objects.filter(pk=member.pk).exists()
