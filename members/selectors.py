"""Reads of members that a page needs in one query (writes live in ``members.services``)."""

from __future__ import annotations

import datetime

from .models import Member, Status
from .services import PROBATION_MONTHS, add_months


def probationers_due(user, today: datetime.date, within_days: int = 30) -> list[Member]:
    """Probationary members in ``user``'s scope whose probation has ended or ends within
    ``within_days`` days, soonest first.

    The end of probation is ``services.probation_ends``: 12 months after the ceremony of the
    latest (re-)admission, or after ``admitted_on`` for members without one among our events.
    ``Member.objects.with_probation_start()`` puts it in the same query as the list. Each member
    gets ``probation_ends`` (a date) and ``overdue`` (the end is already past).
    """
    limit = today + datetime.timedelta(days=within_days)
    # add_months clamps to the month's end (29/02 → 28/02), so a start a few days after
    # ``limit`` minus 12 months may still end by ``limit``: widen the SQL bound, then keep
    # exactly the members whose end (computed as probation_ends does) is due.
    latest_start = add_months(limit, -PROBATION_MONTHS) + datetime.timedelta(days=3)
    candidates = (
        Member.objects.visible_to(user)
        .filter(status=Status.PROBATIONARY)
        .with_probation_start()
        .filter(probation_start__lte=latest_start)
        .select_related("unit")
    )
    due = []
    for member in candidates:
        member.probation_ends = add_months(member.probation_start, PROBATION_MONTHS)
        if member.probation_ends <= limit:
            member.overdue = member.probation_ends < today
            due.append(member)
    due.sort(key=lambda m: (m.probation_ends, m.name_sort_key, m.pk))
    return due
