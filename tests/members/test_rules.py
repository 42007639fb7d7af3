"""members.rules: the membership rules as pure functions (the services' checks test them
through the services; these pin the functions themselves)."""

import datetime
from types import SimpleNamespace

import pytest

from members import rules

D = datetime.date


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def test_probation_starts_at_the_latest_admissions_ceremony():
    admissions = [
        SimpleNamespace(ceremony_date=D(2005, 5, 10)),
        SimpleNamespace(ceremony_date=D(2015, 1, 20)),
    ]
    assert rules.probation_start(admissions, D(2005, 5, 1)) == D(2015, 1, 20)


def test_probation_starts_on_admitted_on_for_a_member_without_admission_events():
    assert rules.probation_start([], D(2024, 3, 1)) == D(2024, 3, 1)
    assert rules.probation_start([], None) is None


def test_probation_ends_twelve_months_after_its_start():
    assert rules.probation_end(D(2023, 5, 20)) == D(2024, 5, 20)
    assert rules.probation_end(D(2024, 2, 29)) == D(2025, 2, 28)
    assert rules.probation_end(None) is None


def test_latest_probation_start_bounds_every_start_that_ends_by_the_day():
    # Every start whose end falls on or before ``end_by`` is at or before the bound.
    for end_by in (D(2025, 2, 28), D(2025, 3, 1), D(2024, 2, 29), D(2025, 6, 30)):
        bound = rules.latest_probation_start(end_by)
        start = end_by - datetime.timedelta(days=400)
        while start <= end_by:
            if rules.probation_end(start) <= end_by:
                assert start <= bound, (start, end_by)
            start += datetime.timedelta(days=1)


def test_recognition_deadline_is_thirty_working_days_after_the_end():
    # 20/05/2024 is a Monday; six weeks of five working days later is Monday 01/07/2024.
    assert rules.recognition_deadline(D(2024, 5, 20)) == D(2024, 7, 1)


def test_readmission_waits_thirty_six_months():
    assert rules.readmission_earliest(D(2012, 1, 1)) == D(2015, 1, 1)


# --- issue 24: party age (R15) --------------------------------------------------------------------


def _events(*rows):
    return [SimpleNamespace(kind=kind, effective_date=d(day)) for kind, day in rows]


def test_party_age_of_a_readmitted_member_runs_from_the_first_admission_minus_the_time_out():
    # The example: admitted 01/05/2005, struck off 01/01/2012, re-admitted 05/01/2015.
    events = _events(
        ("admission", "2005-05-01"),
        ("recognition", "2006-05-01"),
        ("struck_off", "2012-01-01"),
        ("readmission", "2015-01-05"),
        ("recognition", "2016-01-05"),
    )
    age = rules.party_age(events, d("2026-12-08"))
    assert age.since == d("2005-05-01")
    assert round(age.years, 1) == 18.6


def test_party_age_after_restoration_is_continuous():
    events = _events(
        ("admission", "2010-01-01"), ("expelled", "2015-01-01"), ("restoration", "2016-01-01")
    )
    assert rules.party_age(events, d("2020-01-01")).days == (d("2020-01-01") - d("2010-01-01")).days


def test_party_age_leaves_out_the_gap_of_a_transfer_and_stops_at_death():
    events = _events(
        ("admission", "2010-01-01"),
        ("transfer_out", "2012-01-01"),
        ("transfer_in", "2012-03-01"),
        ("death", "2020-01-01"),
    )
    gap = (d("2012-03-01") - d("2012-01-01")).days
    lived = (d("2020-01-01") - d("2010-01-01")).days
    assert rules.party_age(events, d("2026-01-01")).days == lived - gap


def test_party_age_of_a_member_received_from_outside_runs_from_their_admission():
    events = _events(("transfer_in", "2015-06-01"))
    age = rules.party_age(events, d("2025-06-01"), admitted_on=d("2005-06-01"))
    assert (age.since, age.days) == (d("2005-06-01"), (d("2025-06-01") - d("2005-06-01")).days)
    assert rules.party_age([], d("2025-06-01")) is None


@pytest.mark.parametrize(
    ("reason", "cleared", "expected"),
    [
        ("unpaid_dues", None, rules.Readmission(earliest=d("2018-03-10"))),
        ("on_request", None, rules.Readmission(never="reason")),
        ("on_request_hardship", None, rules.Readmission(earliest=d("2018-03-10"))),
        ("corruption_conviction", None, rules.Readmission(never="reason")),
        ("crime_conviction", None, rules.Readmission(needs_record_cleared=True)),
        ("crime_conviction", d("2016-01-01"), rules.Readmission(earliest=d("2021-01-01"))),
    ],
)
def test_readmission_eligibility_from_the_reason(reason, cleared, expected):
    got = rules.readmission_eligibility(
        reason=reason, left_on=d("2015-03-10"), readmitted_before=False, record_cleared_on=cleared
    )
    assert got == expected
    once = rules.readmission_eligibility(
        reason=reason, left_on=d("2015-03-10"), readmitted_before=True
    )
    assert once.never == "once"
