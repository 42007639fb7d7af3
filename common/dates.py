"""Calendar arithmetic the rules are written in: months, years, working days, dd/mm/yyyy."""

from __future__ import annotations

import calendar
import datetime

DAY = datetime.timedelta(days=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (29/02 + 12 → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def years_before(day: datetime.date, years: int) -> datetime.date:
    """``day`` ``years`` years earlier (29/02 → 28/02), as ``Member.age_on`` counts birthdays."""
    return add_months(day, -12 * years)


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``day``: Saturdays and Sundays skipped, public
    holidays not (the rules' deadlines are counted by the office, which knows its holidays)."""
    while count > 0:
        day += DAY
        if day.weekday() < 5:
            count -= 1
    return day


def dmy(day: datetime.date) -> str:
    """The date as Vietnamese documents write it: 05/06/2023."""
    return day.strftime("%d/%m/%Y")
