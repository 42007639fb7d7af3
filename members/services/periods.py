"""Periods that open and end without leaving the roll (issue 24, R16, R17): exemption from work
and activities and the return to them; a temporary transfer, its term and the return home.

Each is one event (EXEMPTION, TEMPORARY_TRANSFER) whose ``ended_on`` records the end
(docs/decisions/0009-periods-on-events.md); the database keeps at most one of each open."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Unit
from common.dates import dmy

from .. import rules
from ..models import Event, Member, TemporaryPurpose
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


def _open(member: Member, kind: str) -> Event | None:
    return (
        member.events.select_for_update()
        .filter(kind=kind, ended_on__isnull=True)
        .order_by("-effective_date", "-pk")
        .first()
    )


def _check_not_open(member: Member, kind: str, day: datetime.date) -> None:
    """No second period over an open one, nor one starting before the last one ended."""
    if _open(member, kind) is not None:
        message = {
            K.EXEMPTION: _("Đảng viên đang được miễn sinh hoạt; ghi trở lại sinh hoạt trước."),
            K.TEMPORARY_TRANSFER: _(
                "Đảng viên đang sinh hoạt tạm thời nơi khác; ghi trở về trước."
            ),
        }[kind]
        raise ValidationError({"effective_date": message})
    last_end = (
        member.events.filter(kind=kind, ended_on__gt=day)
        .order_by("-ended_on")
        .values_list("ended_on", flat=True)
        .first()
    )
    if last_end is not None:
        raise ValidationError(
            {
                "effective_date": _("Lần trước kết thúc ngày %(day)s; lần mới bắt đầu từ ngày đó.")
                % {"day": dmy(last_end)}
            }
        )


@transaction.atomic
def member_exempt(
    *,
    member: Member,
    effective_date: datetime.date,
    decision: Decision,
    poor_health: bool,
    on_request: bool,
    user=None,
) -> Event:
    """R16: exempt a member from work and activities: old (men over 60, women over 55) and
    in poor health and asking for it. They stay a member, on the roll."""
    member = locked(member)
    check_active(member, K.EXEMPTION)
    require_decision(decision, effective_date)
    errors = {}
    age = member.age_on(effective_date)
    if not rules.exemption_age_reached(member.gender, age):
        errors["effective_date"] = _(
            "Miễn sinh hoạt cho đảng viên tuổi cao (nam trên %(men)s, nữ trên %(women)s tuổi); "
            "ngày %(day)s đảng viên này %(age)s tuổi."
        ) % {
            "men": rules.EXEMPTION_MIN_AGE["male"],
            "women": rules.EXEMPTION_MIN_AGE["female"],
            "day": dmy(effective_date),
            "age": age,
        }
    if not poor_health:
        errors["poor_health"] = _("Chỉ miễn sinh hoạt cho đảng viên có sức khỏe yếu.")
    if not on_request:
        errors["on_request"] = _("Miễn sinh hoạt khi đảng viên có đơn đề nghị.")
    if errors:
        raise ValidationError(errors)
    _check_not_open(member, K.EXEMPTION, effective_date)
    check_after_last_event(member, effective_date)
    return write_event(
        member,
        kind=K.EXEMPTION,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
    )


@transaction.atomic
def member_exemption_end(*, member: Member, ended_on: datetime.date, user=None) -> Event:
    """R16: the exempted member returns to work and activities (at their request)."""
    member = locked(member)
    check_active(member, K.EXEMPTION)
    exemption = _open(member, K.EXEMPTION)
    if exemption is None:
        raise ValidationError(_("Đảng viên không đang được miễn sinh hoạt."))
    return _end(exemption, ended_on)


def _end(event: Event, ended_on: datetime.date) -> Event:
    if ended_on < event.effective_date:
        raise ValidationError(
            {
                "ended_on": _("Ngày kết thúc không được trước ngày bắt đầu (%(day)s).")
                % {"day": dmy(event.effective_date)}
            }
        )
    event.ended_on = ended_on
    event.save(update_fields=["ended_on"])
    return event


@transaction.atomic
def member_temporary_transfer(
    *,
    member: Member,
    destination: str = "",
    to_unit: Unit | None = None,
    effective_date: datetime.date,
    decision: Decision,
    purpose: str = TemporaryPurpose.WORK,
    term_end: datetime.date | None = None,
    user=None,
) -> Event:
    """R17: the member attends elsewhere for a term but stays on the home cell's roll: for a
    change of residence or work 3 months to under 12, for study 3 to 24 months. Without a
    ``term_end`` (an old record, an import) the term is the longest the purpose allows."""
    member = locked(member)
    check_active(member, K.TEMPORARY_TRANSFER)
    require_decision(decision, effective_date)
    if to_unit is None and not destination.strip():
        raise ValidationError({"destination": _("Cần ghi nơi sinh hoạt tạm thời.")})
    if purpose not in (TemporaryPurpose.WORK, TemporaryPurpose.STUDY):
        raise ValidationError({"purpose": _("Cần chọn mục đích chuyển sinh hoạt tạm thời.")})
    earliest, latest, latest_allowed = rules.temporary_term_bounds(effective_date, purpose)
    if term_end is None:
        term_end = latest if latest_allowed else latest - datetime.timedelta(days=1)
    if term_end < earliest or term_end > latest or (term_end == latest and not latest_allowed):
        message = (
            _("Đi học: thời hạn từ 3 đến 24 tháng, tức từ %(low)s đến %(high)s.")
            if latest_allowed
            else _(
                "Thay đổi nơi cư trú, làm việc: thời hạn từ 3 tháng đến dưới 12 tháng, "
                "tức từ %(low)s đến trước %(high)s."
            )
        )
        raise ValidationError({"term_end": message % {"low": dmy(earliest), "high": dmy(latest)}})
    if to_unit is not None:
        if to_unit.pk == member.unit_id:
            raise ValidationError({"to_unit": _("Đảng viên đang sinh hoạt ở chi bộ này.")})
        check_unit_on(to_unit, effective_date, field="to_unit", opens_period=False)
    _check_not_open(member, K.TEMPORARY_TRANSFER, effective_date)
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
        purpose=purpose,
        term_end=term_end,
    )


@transaction.atomic
def member_temporary_return(*, member: Member, ended_on: datetime.date, user=None) -> Event:
    """R17: the member returns to the home cell from a temporary transfer."""
    member = locked(member)
    check_active(member, K.TEMPORARY_TRANSFER)
    transfer = _open(member, K.TEMPORARY_TRANSFER)
    if transfer is None:
        raise ValidationError(_("Đảng viên không đang sinh hoạt tạm thời nơi khác."))
    return _end(transfer, ended_on)
