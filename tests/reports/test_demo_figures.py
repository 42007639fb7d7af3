"""The demo data rebuilds the article's figures, read back through the command line."""

import datetime
import json
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from branches.models import Role, Unit
from members.models import Member, MemberState, Status

ARTICLE = ["--from", "01/01/2020", "--to", "05/06/2023", "--directive", "28-CT/TW"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def report(*args: str) -> dict:
    out = StringIO()
    call_command("directive28_report", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_district_figures_are_the_articles(demo):
    figures = report("--unit", "q-thot-not", *ARTICLE)
    assert figures["grassroots_organizations"] == 26
    assert figures["members_at_end"] == 3129
    assert figures["admitted"] == 393
    assert figures["removed"] == 102
    assert figures["struck_off"] == 56
    assert figures["discharged"] == 46
    assert figures["balanced"] is True


@pytest.mark.django_db
def test_ward_figures_are_the_articles_by_name(demo):
    figures = report("--unit", "Đảng bộ phường Thốt Nốt", *ARTICLE)
    assert figures["unit"] == "p-thot-not"
    assert (figures["admitted"], figures["removed"]) == (31, 15)
    assert (figures["struck_off"], figures["discharged"]) == (5, 10)


@pytest.mark.django_db
def test_long_thanh_2_figures_are_the_articles(demo):
    figures = report("--unit", "Chi bộ khu vực Long Thạnh 2", *ARTICLE)
    assert figures["members_at_end"] == 48
    assert figures["admitted"] == 2
    assert figures["struck_off"] == 2
    struck_2022 = report(
        "--unit",
        "p-thot-not-long-thanh-2",
        "--from",
        "01/01/2022",
        "--to",
        "31/12/2022",
        "--directive",
        "28-CT/TW",
    )
    assert struck_2022["struck_off"] == 2


@pytest.mark.django_db
def test_directive_figures_differ_from_all_events_but_members_do_not(demo):
    under_28 = report("--unit", "q-thot-not", *ARTICLE)
    everything = report("--unit", "q-thot-not", "--from", "01/01/2020", "--to", "05/06/2023")
    assert everything["directive"] is None
    assert everything["died"] > 0 and under_28["died"] == 0
    assert everything["expelled"] > 0 and under_28["expelled"] == 0
    assert everything["transferred_in"] > 0 and everything["transferred_out"] > 0
    assert everything["readmitted"] > 0 and everything["restored"] > 0
    assert under_28["members_at_start"] == everything["members_at_start"]
    assert under_28["members_at_end"] == everything["members_at_end"]


@pytest.mark.django_db
def test_every_event_kind_appears_in_the_demo(demo):
    everything = report("--unit", "tp-can-tho", "--from", "01/01/2004", "--to", "31/12/2026")
    for name in (
        "admitted",
        "readmitted",
        "recognized",
        "transferred_in",
        "transferred_out",
        "temporary_transfers",
        "struck_off",
        "discharged",
        "expelled",
        "died",
        "exempted",
        "restored",
    ):
        assert everything[name] > 0, name
    assert everything["balanced"] is True


@pytest.mark.django_db
def test_reports_after_the_2025_reorganization_keep_the_old_tree_for_old_dates(demo):
    district = Unit.objects.get(code="q-thot-not")
    assert district.dissolved_on is not None
    before = report("--unit", "q-thot-not", *ARTICLE)
    assert before["members_at_end"] == 3129
    new_ward = report("--unit", "dbp-thot-not-2025", "--from", "01/07/2025", "--to", "31/12/2025")
    assert new_ward["members_at_start"] == 0  # the day before it was founded
    assert new_ward["moved_in"] == new_ward["members_at_end"] - new_ward["admitted"] > 0
    across = report("--unit", "q-thot-not", "--from", "01/01/2020", "--to", "31/12/2025")
    assert across["members_at_end"] == 0 and across["moved_out"] > 0 and across["balanced"]


@pytest.mark.django_db
def test_cached_state_agrees_with_the_events_for_every_demo_member(demo):
    members = Member.objects.prefetch_related("events")
    for member in members:
        events = sorted(member.events.all(), key=lambda e: (e.effective_date, e.pk))
        assert member.state == MemberState.replay(events), member.pk
    assert Member.objects.filter(status=Status.PROBATIONARY).exists()


@pytest.mark.django_db
def test_demo_accounts_have_their_roles(demo):
    roles = {
        r.user.username: (r.kind, r.unit.code) for r in Role.objects.select_related("user", "unit")
    }
    assert roles == {
        "bantochuc": (Role.Kind.BOARD, "q-thot-not"),
        "phuongthotnot": (Role.Kind.GRASSROOTS_OFFICE, "p-thot-not"),
        "bithu.longthanh2": (Role.Kind.CELL_SECRETARY, "p-thot-not-long-thanh-2"),
        "lanhdao": (Role.Kind.LEADER, "q-thot-not"),
        # Today's offices (issue 28): the city above the wards, and each ward's office.
        "bantochuc.thanhpho": (Role.Kind.BOARD, "tp-can-tho"),
        "lanhdao.thanhpho": (Role.Kind.LEADER, "tp-can-tho"),
        "xaydungdang.thotnot": (Role.Kind.BOARD, "dbp-thot-not-2025"),
        "xaydungdang.thoithuan": (Role.Kind.BOARD, "dbp-thoi-thuan-2025"),
        "xaydungdang.tanloc": (Role.Kind.BOARD, "dbp-tan-loc-2025"),
        "xaydungdang.trungnhut": (Role.Kind.BOARD, "dbp-trung-nhut-2025"),
        "xaydungdang.thuanhung": (Role.Kind.BOARD, "dbp-thuan-hung-2025"),
    }


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing(demo):
    counts = (Member.objects.count(), Unit.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert (Member.objects.count(), Unit.objects.count()) == counts


@pytest.mark.django_db
def test_report_query_count_does_not_depend_on_the_subtree(demo, django_assert_num_queries):
    from datetime import date

    from reports.figures import unit_figures

    for code in ("p-thot-not-long-thanh-2", "p-thot-not", "q-thot-not", "tp-can-tho"):
        unit = Unit.objects.get(code=code)
        with django_assert_num_queries(3):
            unit_figures(unit, date(2020, 1, 1), date(2023, 6, 5))


def test_the_command_line_prints_one_line_and_exits_2_on_bad_arguments():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "directive28_report",
            "--unit",
            "q-thot-not",
            "--from",
            "2020-01-01",
            "--to",
            "05/06/2023",
            "--format",
            "json",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "CommandError: invalid date '2020-01-01': expected DD/MM/YYYY"
    ]
    assert result.stdout == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--unit", "nowhere", *ARTICLE], "no unit"),
        (["--unit", "q-thot-not", "--from", "2020-01-01", "--to", "05/06/2023"], "invalid date"),
        (["--unit", "q-thot-not", "--from", "31/02/2020", "--to", "05/06/2023"], "invalid date"),
        (["--unit", "q-thot-not", "--from", "05/06/2023", "--to", "01/01/2020"], "before"),
        (
            [
                "--unit",
                "q-thot-not",
                "--from",
                "01/01/2020",
                "--to",
                "05/06/2023",
                "--directive",
                "99-CT/TW",
            ],
            "no directive",
        ),
        (
            ["--unit", "Chi bộ khu vực Tân Phú", "--from", "01/01/2020", "--to", "05/06/2023"],
            "several units",
        ),
    ],
)
def test_bad_arguments_are_refused_with_status_2(demo, args, message):
    with pytest.raises(CommandError, match=message) as refused:
        call_command("directive28_report", *args, stdout=StringIO())
    assert refused.value.returncode == 2


# --- the whole demo through the roster workbook ------------------------------------------------

ROUND_TRIP_REPORTS = [
    (unit, period, directive)
    for unit in ("q-thot-not", "p-thot-not", "p-thot-not-long-thanh-2", "dbp-thot-not-2025")
    for period in (("01/01/2020", "05/06/2023"), ("01/01/2004", "31/12/2025"))
    for directive in ("28-CT/TW", None)
]


def round_trip_reports() -> dict:
    found = {}
    for unit, (start, end), directive in ROUND_TRIP_REPORTS:
        extra = ["--directive", directive] if directive else []
        found[(unit, start, end, directive)] = report(
            "--unit", unit, "--from", start, "--to", end, *extra
        )
    return found


@pytest.mark.django_db
def test_the_demo_exported_and_imported_into_an_empty_database_gives_the_same_reports(
    demo, tmp_path
):
    """Issue #5's round trip: every record and event of the demo out to a workbook, the members
    deleted, the workbook imported through the services: the same figures, the article's
    among them, for the district, a ward, a cell and a 2025 ward, over two periods, under the
    directive and for all events."""
    from members import roster
    from members.models import Event, Membership, RecordView

    before = round_trip_reports()
    assert before[("q-thot-not", "01/01/2020", "05/06/2023", "28-CT/TW")]["removed"] == 102
    path = tmp_path / "demo.xlsx"
    exported = roster.export_roster(Member.objects.all(), path)
    with transaction.atomic():
        RecordView.objects.all().delete()
        Membership.objects.all().delete()
        Event.objects.all().delete()
        Member.objects.all().delete()
        ri = roster.import_file(path)
        assert (ri.summary["create"], ri.summary["errors"]) == (exported, 0)
        after = round_trip_reports()
        assert all(m.derived_state() == m.state for m in Member.objects.all())
        transaction.set_rollback(True)
    assert after == before


@pytest.mark.django_db
def test_every_demo_record_obeys_the_rules(demo):
    """Issue 24: each rule the services now enforce, checked over the demo's rows."""
    from members import rules
    from members.choices import GeneralEducation
    from members.models import Event

    K = Event.Kind
    events = list(Event.objects.order_by("member_id", "effective_date", "pk"))
    by_member: dict[int, list[Event]] = {}
    for event in events:
        by_member.setdefault(event.member_id, []).append(event)
    admitted_on = dict(Member.objects.values_list("pk", "admitted_on"))
    problems = []
    for member_id, timeline in by_member.items():
        kinds = [e.kind for e in timeline]
        if kinds.count(K.EXEMPTION) > 1 or kinds.count(K.TEMPORARY_TRANSFER) > 1:
            problems.append((member_id, "exempted or temporarily transferred twice"))
        for index, e in enumerate(timeline):
            before = timeline[:index]
            if e.kind == K.RECOGNITION:  # R8: official from the end of probation
                admissions = [b for b in before if b.kind in Event.ADMISSION_KINDS]
                end = rules.probation_end(rules.probation_start(admissions, admitted_on[member_id]))
                if e.effective_date != end or e.decision_date < e.effective_date:
                    problems.append((member_id, "recognition", e.effective_date, end))
            if e.kind in Event.REMOVAL_KINDS and e.reason not in rules.removal_reasons(e.kind):
                problems.append((member_id, "removal reason", e.kind, e.reason))  # R10-R13
            if e.kind == K.READMISSION and not (e.consent_no and e.consent_date <= e.decision_date):
                problems.append((member_id, "re-admission without consent"))  # R14
            late = e.decision_date is not None and e.decision_date >= datetime.date(2025, 7, 1)
            if late and "phường" not in e.issuing_body:
                problems.append((member_id, "post-2025 decision", e.issuing_body))  # R28
    primary = Member.objects.filter(
        general_education=GeneralEducation.PRIMARY, events__kind=K.ADMISSION
    )
    assert not primary.exists()  # R2: an urban district
    assert not Member.objects.filter(status=Status.PROBATIONARY).exclude(party_card_no="").exists()
    assert problems == []
