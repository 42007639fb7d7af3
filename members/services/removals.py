"""Leaving the roll and coming back: removals, death, restoration (exemption: ``periods``)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import Unit

from .. import rules
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
    standards_kept: bool = False,
    user=None,
) -> Event:
    """Remove a member: struck off (xóa tên), discharged (cho ra khỏi Đảng) or expelled
    (khai trừ, an official member only), each for its own reasons (``rules.REMOVAL_REASONS``):
    a discharge answers the member's own application, and only a member who has not breached
    the standards (``standards_kept``, confirmed by the clerk) is discharged (R13)."""
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
    check_removal_reason(member, kind, reason, standards_kept=standards_kept)
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


REMOVAL_REASON_HINTS = {
    K.STRUCK_OFF: gettext_lazy(
        "xóa tên là khi bỏ sinh hoạt hoặc không đóng đảng phí 3 tháng trong năm không có lý "
        "do, tự ý trả hoặc hủy thẻ, không tiến bộ sau 12 tháng giúp đỡ, 2 năm liền vi phạm tư "
        "cách, không đáp ứng tiêu chuẩn chính trị, dự bị không đủ điều kiện, hoặc không còn đủ "
        "tư cách qua rà soát"
    ),
    K.DISCHARGED: gettext_lazy("cho ra khỏi Đảng chỉ khi chính đảng viên có đơn xin ra khỏi Đảng"),
    K.EXPELLED: gettext_lazy(
        "khai trừ là hình thức kỷ luật: vi phạm kỷ luật Đảng, gây mất đoàn kết nghiêm trọng, "
        "bị kết án hình sự"
    ),
}


def check_removal_reason(member: Member, kind: str, reason: str, *, standards_kept: bool) -> None:
    """R10-R13: the reason fits the kind; a failed probation only for a probationer; a
    discharge only for a member who has not breached the standards."""
    if reason not in rules.removal_reasons(kind):
        raise ValidationError(
            {
                "reason": _("Lý do “%(reason)s” không dùng cho hình thức “%(kind)s”: %(hint)s.")
                % {
                    "reason": Event.Reason(reason).label,
                    "kind": K(kind).label,
                    "hint": REMOVAL_REASON_HINTS[kind],
                }
            }
        )
    if reason == Event.Reason.PROBATION_FAILED and member.status != Status.PROBATIONARY:
        raise ValidationError(
            {
                "reason": _(
                    "Lý do “dự bị không đủ điều kiện” chỉ dùng cho đảng viên dự bị "
                    "(trạng thái hiện tại: %(status)s)."
                )
                % {"status": member.get_status_display()}
            }
        )
    if kind == K.DISCHARGED and not standards_kept:
        raise ValidationError(
            {
                "standards_kept": _(
                    "Chỉ cho ra khỏi Đảng đảng viên không vi phạm tư cách đảng viên; người vi "
                    "phạm thì xem xét kỷ luật trước. Hãy xác nhận điều này."
                )
            }
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
