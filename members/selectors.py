"""Reads of members that a page needs in one query (writes live in ``members.services``)."""

from __future__ import annotations

import datetime

from . import rules
from .models import Member, Status


def _with_probation_ends(member: Member) -> Member:
    """``member`` (annotated by ``with_probation_start``) given ``probation_ends``."""
    member.probation_ends = rules.probation_end(member.probation_start)
    return member


def probationers_due(user, today: datetime.date, within_days: int = 30) -> list[Member]:
    """Probationary members in ``user``'s scope whose probation has ended or ends within
    ``within_days`` days, soonest first.

    The end of probation is ``rules.probation_end``, from the start that
    ``Member.objects.with_probation_start()`` puts in the same query as the list. Each member
    gets ``probation_ends`` (a date) and ``overdue`` (the end is already past).
    """
    limit = today + datetime.timedelta(days=within_days)
    candidates = (
        Member.objects.visible_to(user)
        .filter(status=Status.PROBATIONARY)
        .with_probation_start()
        .filter(probation_start__lte=rules.latest_probation_start(limit))
        .select_related("unit")
    )
    due = []
    for member in map(_with_probation_ends, candidates):
        if member.probation_ends <= limit:
            member.overdue = member.probation_ends < today
            due.append(member)
    due.sort(key=lambda m: (m.probation_ends, m.name_sort_key, m.pk))
    return due


RECOGNITION_ORDER = {"overdue": 0, "due": 1, "waiting": 2}


def recognition_list(user, today: datetime.date) -> list[Member]:
    """Probationary members in ``user``'s editable scope, with ``probation_ends``
    (``rules.probation_end``), ``deadline`` (``rules.recognition_deadline``) and
    ``recognition`` (overdue, due, waiting), those past the deadline first. One query."""
    members = list(
        map(
            _with_probation_ends,
            Member.objects.editable_by(user)
            .filter(status=Status.PROBATIONARY)
            .with_probation_start()
            .select_related("unit"),
        )
    )
    for member in members:
        ends = member.probation_ends
        member.deadline = rules.recognition_deadline(ends) if ends else None
        if ends is None or ends > today:
            member.recognition = "waiting"
        elif member.deadline < today:
            member.recognition = "overdue"
        else:
            member.recognition = "due"
    members.sort(
        key=lambda m: (
            RECOGNITION_ORDER[m.recognition],
            m.probation_ends or datetime.date.max,
            m.name_sort_key,
            m.pk,
        )
    )
    return members
