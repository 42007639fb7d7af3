"""Transfers: within this system, out of it, into it, and temporary ones."""

from __future__ import annotations

import contextlib
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
    save_new_record,
    unsaved_if_failing,
    write_event,
)


@transaction.atomic
def member_transfer(
    *, member: Member, to_unit: Unit, effective_date: datetime.date, decision: Decision, user=None
) -> tuple[Event, Event]:
    """Official transfer between two cells of this system: out of one roll, onto the other."""
    member = locked(member)
    check_active(member, K.TRANSFER_OUT)
    require_decision(decision, effective_date)
    from_unit = member.unit
    if to_unit.pk == from_unit.pk:
        raise ValidationError({"to_unit": _("Đảng viên đang sinh hoạt ở chi bộ này.")})
    check_unit_on(from_unit, effective_date, field="effective_date", opens_period=False)
    to_unit = check_unit_on(to_unit, effective_date, field="to_unit")
    check_after_last_event(member, effective_date)
    probationary = member.status == Status.PROBATIONARY
    out = write_event(
        member,
        kind=K.TRANSFER_OUT,
        effective_date=effective_date,
        unit=from_unit,
        decision=decision,
        user=user,
        other_unit=to_unit,
    )
    arrival = write_event(
        member,
        kind=K.TRANSFER_IN,
        effective_date=effective_date,
        unit=to_unit,
        decision=decision,
        user=user,
        other_unit=from_unit,
        probationary=probationary,
    )
    return out, arrival


@transaction.atomic
def member_transfer_out(
    *,
    member: Member,
    destination: str,
    effective_date: datetime.date,
    decision: Decision,
    user=None,
) -> Event:
    """Official transfer to a party organization outside this system."""
    member = locked(member)
    check_active(member, K.TRANSFER_OUT)
    require_decision(decision, effective_date)
    if not destination.strip():
        raise ValidationError({"destination": _("Cần ghi nơi chuyển đến.")})
    check_after_last_event(member, effective_date)
    return write_event(
        member,
        kind=K.TRANSFER_OUT,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
        other_unit_name=destination.strip(),
    )


@transaction.atomic
def member_transfer_in(
    *,
    member: Member,
    unit: Unit,
    origin: str,
    effective_date: datetime.date,
    decision: Decision,
    probationary: bool,
    user=None,
) -> Event:
    """Receive a member from outside this system: a new record (``member`` unsaved, with its
    ``admitted_on`` and, for an official member, ``recognized_on``), or one who left earlier by
    transfer and comes back."""
    if not origin.strip():
        raise ValidationError({"origin": _("Cần ghi nơi chuyển đi.")})
    require_decision(decision, effective_date)
    unit = check_unit_on(unit, effective_date)
    creating = member.pk is None
    if not creating:
        member = locked(member)
        if member.status != Status.TRANSFERRED_OUT:
            raise ValidationError(
                _("Chỉ tiếp nhận lại đảng viên đã chuyển đi (trạng thái hiện tại: %(status)s).")
                % {"status": member.get_status_display()}
            )
        check_after_last_event(member, effective_date)
    else:
        errors = {}
        if member.admitted_on is None:
            errors["admitted_on"] = _("Cần ghi ngày vào Đảng.")
        elif member.admitted_on > effective_date:
            errors["admitted_on"] = _("Ngày vào Đảng phải trước ngày chuyển đến.")
        if not probationary and member.recognized_on is None:
            errors["recognized_on"] = _("Đảng viên chính thức cần có ngày chính thức.")
        elif member.recognized_on is not None and not (
            member.admitted_on is None
            or member.admitted_on <= member.recognized_on <= effective_date
        ):
            errors["recognized_on"] = _(
                "Ngày chính thức phải sau ngày vào Đảng và không sau ngày chuyển đến."
            )
        if probationary and member.recognized_on is not None:
            errors["recognized_on"] = _("Đảng viên dự bị chưa có ngày chính thức.")
        if errors:
            raise ValidationError(errors)
        member.status = Status.PROBATIONARY if probationary else Status.OFFICIAL
        member.unit = member.record_unit = unit
    if probationary != (member.recognized_on is None):
        raise ValidationError(
            {"probationary": _("Đảng viên dự bị là người chưa có ngày chính thức, và ngược lại.")}
        )
    with unsaved_if_failing(member) if creating else contextlib.nullcontext():
        if creating:
            member.full_clean()
            save_new_record(member)
        return write_event(
            member,
            kind=K.TRANSFER_IN,
            effective_date=effective_date,
            unit=unit,
            decision=decision,
            user=user,
            other_unit_name=origin.strip(),
            probationary=probationary,
        )


@transaction.atomic
def member_temporary_transfer(
    *,
    member: Member,
    destination: str = "",
    to_unit: Unit | None = None,
    effective_date: datetime.date,
    decision: Decision,
    user=None,
) -> Event:
    """Temporary transfer: the member attends elsewhere but stays on the home cell's roll."""
    member = locked(member)
    check_active(member, K.TEMPORARY_TRANSFER)
    require_decision(decision, effective_date)
    if to_unit is None and not destination.strip():
        raise ValidationError({"destination": _("Cần ghi nơi sinh hoạt tạm thời.")})
    if to_unit is not None:
        check_unit_on(to_unit, effective_date, field="to_unit", opens_period=False)
    check_after_last_event(member, effective_date)
    return write_event(
        member,
        kind=K.TEMPORARY_TRANSFER,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
        other_unit=to_unit,
        other_unit_name=destination.strip(),
    )
