"""Leaving the roll and coming back: removals, death, restoration (exemption: ``periods``)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Unit

from ..models import Event, Member, Status
from ._checks import (
    Decision,
    K,
    check_active,
    check_after_last_event,
    check_unit_on,
    locked,
    require_decision,
    write_event,
)


@transaction.atomic
def member_remove(
    *,
    member: Member,
    kind: str,
    reason: str,
    effective_date: datetime.date,
    decision: Decision,
    user=None,
) -> Event:
    """Remove a member: struck off (xóa tên), discharged (cho ra khỏi Đảng) or expelled
    (khai trừ, an official member only)."""
    if kind not in Event.REMOVAL_KINDS:
        raise ValidationError({"kind": _("Hình thức đưa ra khỏi Đảng không hợp lệ.")})
    member = locked(member)
    check_active(member, kind)
    if kind == K.EXPELLED and member.status != Status.OFFICIAL:
        raise ValidationError(
            {"kind": _("Chỉ khai trừ đảng viên chính thức; đảng viên dự bị thì xóa tên.")}
        )
    if not reason:
        raise ValidationError({"reason": _("Cần ghi lý do.")})
    if reason not in Event.Reason.values:
        raise ValidationError({"reason": _("Lý do không hợp lệ.")})
    if (reason == Event.Reason.DISCIPLINE) != (kind == K.EXPELLED):
        raise ValidationError(
            {"reason": _("Lý do “vi phạm kỷ luật” đi với hình thức khai trừ, và chỉ với nó.")}
        )
    require_decision(decision, effective_date)
    check_after_last_event(member, effective_date)
    return write_event(
        member,
        kind=kind,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
        reason=reason,
    )


@transaction.atomic
def member_record_death(
    *, member: Member, effective_date: datetime.date, decision: Decision | None = None, user=None
) -> Event:
    """Record a member's death (the decision is optional: a death is a fact, not a decision)."""
    member = locked(member)
    check_active(member, K.DEATH)
    check_after_last_event(member, effective_date)
    return write_event(
        member,
        kind=K.DEATH,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision or Decision(),
        user=user,
    )


@transaction.atomic
def member_restore(
    *, member: Member, unit: Unit, effective_date: datetime.date, decision: Decision, user=None
) -> Event:
    """Restore the membership of someone wrongly removed, with the status they had before."""
    member = locked(member)
    if member.status != Status.REMOVED:
        raise ValidationError(
            _("Chỉ phục hồi đảng tịch cho người đã ra khỏi Đảng (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    require_decision(decision, effective_date)
    unit = check_unit_on(unit, effective_date)
    check_after_last_event(member, effective_date)
    return write_event(
        member,
        kind=K.RESTORATION,
        effective_date=effective_date,
        unit=unit,
        decision=decision,
        user=user,
        probationary=member.recognized_on is None,
    )
