"""common.dates: the calendar arithmetic the rules are written in."""

import datetime

import pytest

from common.dates import add_months, add_working_days, dmy, years_before

D = datetime.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2023, 5, 20), 12, D(2024, 5, 20)),
        (D(2023, 3, 31), -1, D(2023, 2, 28)),
        (D(2023, 12, 15), 1, D(2024, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_months_end(day, months, expected):
    assert add_months(day, months) == expected


def test_years_before_counts_birthdays_of_the_29th_of_february():
    assert years_before(D(2025, 2, 28), 1) == D(2024, 2, 28)
    assert years_before(D(2024, 2, 29), 18) == D(2006, 2, 28)


def test_add_working_days_skips_weekends():
    friday = D(2026, 12, 4)
    assert add_working_days(friday, 1) == D(2026, 12, 7)  # Monday
    assert add_working_days(friday, 5) == D(2026, 12, 11)
    assert add_working_days(D(2026, 12, 5), 1) == D(2026, 12, 7)  # from a Saturday


def test_dmy_writes_day_month_year_with_zeros():
    assert dmy(D(2023, 6, 5)) == "05/06/2023"
