"""Transfers: within this system (in one step, or in two between offices), out of it, into it.
Temporary transfers are in ``periods``."""

from __future__ import annotations

import contextlib
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Unit
from common.dates import dmy

from .. import rules
from ..models import Event, Member, OfficeTransfer, Status
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
        if member.office_transfers.pending().exists():
            raise ValidationError(
                _(
                    "Đảng viên đang trên đường chuyển đến một chi bộ trong hệ thống; "
                    "chi bộ đó tiếp nhận."
                )
            )
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
def member_transfer_send(
    *, member: Member, to_unit: Unit, sent_on: datetime.date, decision: Decision, user=None
) -> OfficeTransfer:
    """R18, step one: the sending office issues the introduction to a cell of this system
    (any office's). The member leaves the sending cell's roll on ``sent_on`` and is on no roll
    until the receiving office records the arrival (``member_transfer_receive``).

    The departure names the destination by its name, not as ``other_unit``: the reports count
    it as a transfer out on its day, and the arrival as a transfer in on its own, so every
    unit's figures balance across the gap (docs/counting.md)."""
    member = locked(member)
    check_active(member, K.TRANSFER_OUT)
    require_decision(decision, sent_on)
    from_unit = member.unit
    if to_unit.pk == from_unit.pk:
        raise ValidationError({"to_unit": _("Đảng viên đang sinh hoạt ở chi bộ này.")})
    check_unit_on(from_unit, sent_on, field="effective_date", opens_period=False)
    to_unit = check_unit_on(to_unit, sent_on, field="to_unit")
    check_after_last_event(member, sent_on)
    departure = write_event(
        member,
        kind=K.TRANSFER_OUT,
        effective_date=sent_on,
        unit=from_unit,
        decision=decision,
        user=user,
        other_unit_name=str(to_unit),
        probationary=False,
    )
    return OfficeTransfer.objects.create(
        member=member, from_unit=from_unit, to_unit=to_unit, sent_on=sent_on, departure=departure
    )


@transaction.atomic
def member_transfer_receive(
    *, transfer: OfficeTransfer, received_on: datetime.date, decision: Decision, user=None
) -> OfficeTransfer:
    """R18, step two: the receiving office records the arrival, within 30 working days of the
    introduction; the member joins ``transfer.to_unit``'s roll on ``received_on``."""
    transfer = OfficeTransfer.objects.select_for_update().get(pk=transfer.pk)
    member = locked(transfer.member)
    if transfer.arrival_id is not None:
        raise ValidationError(_("Đã tiếp nhận đảng viên này."))
    require_decision(decision, received_on)
    if received_on < transfer.sent_on:
        raise ValidationError(
            {"received_on": _("Ngày tiếp nhận không được trước ngày giới thiệu chuyển đi.")}
        )
    deadline = rules.arrival_deadline(transfer.sent_on)
    if received_on > deadline:
        raise ValidationError(
            {
                "received_on": _("Quá 30 ngày làm việc kể từ ngày giới thiệu (hạn cuối %(day)s).")
                % {"day": dmy(deadline)}
            }
        )
    to_unit = check_unit_on(transfer.to_unit, received_on, field="received_on")
    check_after_last_event(member, received_on)
    arrival = write_event(
        member,
        kind=K.TRANSFER_IN,
        effective_date=received_on,
        unit=to_unit,
        decision=decision,
        user=user,
        other_unit_name=str(transfer.from_unit),
        probationary=member.recognized_on is None,
    )
    transfer.arrival, transfer.received_on = arrival, received_on
    transfer.save(update_fields=["arrival", "received_on"])
    return transfer
