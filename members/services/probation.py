"""The end of probation, and recognition as an official member."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.dates import dmy

from .. import rules
from ..models import Event, Member, Status
from ._checks import Decision, K, check_after_last_event, locked, require_decision, write_event


def probation_ends(member: Member) -> datetime.date | None:
    """The first day a probationary member may be recognized (``rules.probation_end``)."""
    admission = (
        member.events.filter(kind__in=Event.ADMISSION_KINDS)
        .order_by("-effective_date", "-pk")
        .first()
    )
    admissions = [admission] if admission is not None else []
    return rules.probation_end(rules.probation_start(admissions, member.admitted_on))


@transaction.atomic
def member_recognize(
    *, member: Member, effective_date: datetime.date, decision: Decision, user=None
) -> Event:
    """Recognize a probationary member as official, 12 months after the admission ceremony."""
    member = locked(member)
    if member.status != Status.PROBATIONARY:
        raise ValidationError(
            _("Chỉ công nhận chính thức đảng viên dự bị (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    require_decision(decision, effective_date)
    earliest = probation_ends(member)
    if earliest is not None and effective_date < earliest:
        raise ValidationError(
            {
                "effective_date": _(
                    "Chưa đủ 12 tháng dự bị: chỉ được công nhận chính thức từ ngày %(earliest)s."
                )
                % {"earliest": dmy(earliest)}
            }
        )
    check_after_last_event(member, effective_date)
    member.recognized_on = effective_date
    return write_event(
        member,
        kind=K.RECOGNITION,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
    )
