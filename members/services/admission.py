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
    consent: Decision | None = None,
    record_cleared_on: datetime.date | None = None,
    imported_history: bool = False,
    user=None,
) -> Event:
    """Re-admit a removed member (R14): once only; never for the reasons of
    ``rules.NEVER_READMITTED``; 36 months after leaving (60 after a criminal record is cleared,
    ``record_cleared_on``); with the provincial standing committee's written consent
    (``consent``: its number and date, on or before the decision). A roster's re-admission
    recorded before the system's start (``imported_history``) may lack the consent. The first
    admission stays the record's date of admission: party age runs from it (R15)."""
    member = locked(member)
    require_decision(decision, decision.date or ceremony_date)
    day = decision.date
    if member.status != Status.REMOVED:
        raise ValidationError(
            _("Chỉ kết nạp lại người đã ra khỏi Đảng (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    removal = member.events.filter(kind__in=Event.REMOVAL_KINDS).order_by("-effective_date", "-pk")[
        0
    ]
    eligibility = rules.readmission_eligibility(
        reason=removal.reason,
        left_on=removal.effective_date,
        readmitted_before=member.events.filter(kind=K.READMISSION).exists(),
        record_cleared_on=record_cleared_on,
    )
    if eligibility.never == "once":
        raise ValidationError(
            _("Người này đã được kết nạp lại một lần; chỉ được kết nạp lại một lần.")
        )
    if eligibility.never:
        raise ValidationError(
            _("Không kết nạp lại người đã ra khỏi Đảng vì lý do “%(reason)s”.")
            % {"reason": removal.get_reason_display()}
        )
    if eligibility.needs_record_cleared:
        raise ValidationError(
            {
                "record_cleared_on": _(
                    "Người bị kết án về tội ít nghiêm trọng chỉ được kết nạp lại sau 60 tháng "
                    "kể từ ngày được xóa án tích: hãy ghi ngày xóa án tích."
                )
            }
        )
    earliest = eligibility.earliest
    if day < earliest:
        if record_cleared_on is not None and earliest > rules.readmission_earliest(
            removal.effective_date
        ):
            message = _(
                "Chỉ được kết nạp lại sau 60 tháng kể từ ngày được xóa án tích (%(cleared)s), "
                "tức từ ngày %(earliest)s."
            ) % {"cleared": dmy(record_cleared_on), "earliest": dmy(earliest)}
        else:
            message = _(
                "Chỉ được kết nạp lại sau ít nhất %(months)s tháng kể từ khi ra khỏi Đảng "
                "(%(left)s), tức từ ngày %(earliest)s."
            ) % {
                "months": READMISSION_WAIT_MONTHS,
                "left": dmy(removal.effective_date),
                "earliest": dmy(earliest),
            }
        raise ValidationError({"decision_date": message})
    consent = consent or Decision()
    if not imported_history:
        errors = {}
        if not consent.number.strip():
            errors["consent_no"] = _(
                "Kết nạp lại cần văn bản đồng ý của ban thường vụ tỉnh ủy: hãy ghi số văn bản."
            )
        if consent.date is None:
            errors["consent_date"] = _("Hãy ghi ngày văn bản đồng ý của ban thường vụ tỉnh ủy.")
        elif consent.date > day:
            errors["consent_date"] = _(
                "Văn bản đồng ý của tỉnh ủy phải có trước quyết định kết nạp lại."
            )
        if errors:
            raise ValidationError(errors)
    if ceremony_date < day:
        raise ValidationError({"ceremony_date": _("Lễ kết nạp không được trước ngày quyết định.")})
    check_admission_age(member, day)
    unit = check_unit_on(unit, day)
    check_after_last_event(member, day)
    # The first admission stays: admitted_on is the record's "ngày vào Đảng" (R15).
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
        consent_no=consent.number.strip(),
        consent_date=consent.date,
        record_cleared_on=record_cleared_on,
    )
