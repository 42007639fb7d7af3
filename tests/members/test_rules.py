"""members.rules: the membership rules as pure functions (the services' checks test them
through the services; these pin the functions themselves)."""

import datetime
from types import SimpleNamespace

from members import rules

D = datetime.date


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
