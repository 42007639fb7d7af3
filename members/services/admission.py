"""Admission and re-admission: a person enters the Party, on probation."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Unit
from common.dates import dmy

from .. import rules
from ..models import Event, Member, Status
from ..rules import READMISSION_WAIT_MONTHS
from ._checks import (
    Decision,
    K,
    check_admission_age,
    check_after_last_event,
    check_unit_on,
    locked,
    require_decision,
    save_new_record,
    unsaved_if_failing,
    write_event,
)


@transaction.atomic
def member_admit(
    *,
    member: Member,
    unit: Unit,
    decision: Decision,
    ceremony_date: datetime.date,
    sponsors: str = "",
    user=None,
) -> Event:
    """Admit a new person (``member`` unsaved, its record filled in) to ``unit`` on probation.

    The admission counts on its decision's date, from which party age runs.
    """
    if member.pk is not None:
        raise ValidationError(_("Người này đã có hồ sơ đảng viên; hãy dùng kết nạp lại."))
    require_decision(decision, decision.date or ceremony_date)
    day = decision.date
    if ceremony_date < day:
        raise ValidationError({"ceremony_date": _("Lễ kết nạp không được trước ngày quyết định.")})
    check_admission_age(member, day)
    unit = check_unit_on(unit, day)
    member.status = Status.PROBATIONARY
    member.unit = member.record_unit = unit
    member.admitted_on = day
    member.recognized_on = None
    with unsaved_if_failing(member):
        member.full_clean()
        save_new_record(member)
        return write_event(
            member,
            kind=K.ADMISSION,
            effective_date=day,
            unit=unit,
            decision=decision,
            user=user,
            ceremony_date=ceremony_date,
            sponsors=sponsors.strip(),
        )


@transaction.atomic
def member_readmit(
    *,
    member: Member,
    unit: Unit,
    decision: Decision,
    ceremony_date: datetime.date,
    sponsors: str = "",
    user=None,
) -> Event:
    """Re-admit a removed member: once only, 36 months after leaving, never after quitting
    activities on their own or asking to leave."""
    member = locked(member)
    require_decision(decision, decision.date or ceremony_date)
    day = decision.date
    if member.status != Status.REMOVED:
        raise ValidationError(
            _("Chỉ kết nạp lại người đã ra khỏi Đảng (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    if member.events.filter(kind=K.READMISSION).exists():
        raise ValidationError(
            _("Người này đã được kết nạp lại một lần; chỉ được kết nạp lại một lần.")
        )
    removal = member.events.filter(kind__in=Event.REMOVAL_KINDS).order_by("-effective_date", "-pk")[
        0
    ]
    if removal.reason in Event.FINAL_REASONS:
        raise ValidationError(
            _("Không kết nạp lại người đã ra khỏi Đảng vì lý do “%(reason)s”.")
            % {"reason": removal.get_reason_display()}
        )
    earliest = rules.readmission_earliest(removal.effective_date)
    if day < earliest:
        raise ValidationError(
            {
                "decision_date": _(
                    "Chỉ được kết nạp lại sau ít nhất %(months)s tháng kể từ khi ra khỏi Đảng "
                    "(%(left)s), tức từ ngày %(earliest)s."
                )
                % {
                    "months": READMISSION_WAIT_MONTHS,
                    "left": dmy(removal.effective_date),
                    "earliest": dmy(earliest),
                }
            }
        )
    if ceremony_date < day:
        raise ValidationError({"ceremony_date": _("Lễ kết nạp không được trước ngày quyết định.")})
    check_admission_age(member, day)
    unit = check_unit_on(unit, day)
    check_after_last_event(member, day)
    member.admitted_on = day
    member.recognized_on = None
    return write_event(
        member,
        kind=K.READMISSION,
        effective_date=day,
        unit=unit,
        decision=decision,
        user=user,
        ceremony_date=ceremony_date,
        sponsors=sponsors.strip(),
    )
