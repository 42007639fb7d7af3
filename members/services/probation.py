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
    *,
    member: Member,
    effective_date: datetime.date,
    decision: Decision,
    resolution_date: datetime.date | None = None,
    user=None,
) -> Event:
    """Recognize a probationary member as official (R8): official from the exact end of the
    12 months of probation, whenever the cell met (``resolution_date``) and the committee
    decided (``decision.date``, on or after that end)."""
    member = locked(member)
    if member.status != Status.PROBATIONARY:
        raise ValidationError(
            _("Chỉ công nhận chính thức đảng viên dự bị (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    # The decision comes after the day it recognizes, not before (require_decision checks
    # number and date; its "not after the effective date" is the other kinds' rule).
    require_decision(decision, decision.date or effective_date)
    end = probation_ends(member)
    if end is not None and effective_date < end:
        raise ValidationError(
            {
                "effective_date": _(
                    "Chưa đủ 12 tháng dự bị: chỉ được công nhận chính thức từ ngày %(earliest)s."
                )
                % {"earliest": dmy(end)}
            }
        )
    if end is not None and effective_date != end:
        raise ValidationError(
            {
                "effective_date": _(
                    "Đảng viên đủ điều kiện là đảng viên chính thức từ ngày hết 12 tháng dự bị, "
                    "%(end)s, dù chi bộ họp hay cấp ủy quyết định muộn hơn: hãy ghi ngày này."
                )
                % {"end": dmy(end)}
            }
        )
    errors = {}
    if decision.date < effective_date:
        errors["decision_date"] = _(
            "Quyết định công nhận chính thức được ký sau khi hết 12 tháng dự bị (%(end)s), "
            "không trước."
        ) % {"end": dmy(effective_date)}
    if resolution_date is not None and resolution_date < effective_date:
        errors["resolution_date"] = _(
            "Chi bộ xét công nhận chính thức sau khi hết 12 tháng dự bị (%(end)s), không trước."
        ) % {"end": dmy(effective_date)}
    elif resolution_date is not None and resolution_date > decision.date:
        errors["resolution_date"] = _("Nghị quyết của chi bộ có trước quyết định của cấp ủy.")
    if errors:
        raise ValidationError(errors)
    check_after_last_event(member, effective_date)
    member.recognized_on = effective_date
    return write_event(
        member,
        kind=K.RECOGNITION,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
        resolution_date=resolution_date,
    )


def recognition_deadlines(
    end: datetime.date, resolution_date: datetime.date | None = None
) -> dict[str, datetime.date | None]:
    """The two deadlines of R8: the cell's (30 working days after the end of probation) and
    the committee's (30 working days after the cell's resolution, once it is known)."""
    return {
        "cell": rules.recognition_deadline(end),
        "committee": (
            rules.recognition_committee_deadline(resolution_date) if resolution_date else None
        ),
    }
