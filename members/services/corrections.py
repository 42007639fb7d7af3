"""Putting an event right: correct its details, or cancel it as a mistake.

Either way the event stays in the member's timeline, marked with who, when and why, and the
member's state and roll periods are replayed from the events that stand, through the one
transition function ``MemberState.after``. A history the replay cannot make sense of (a death
left after its cancelled admission, a day after today) is refused like any new event.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Event, Member, Membership, MemberState, Status
from ..rules import may_follow
from ._checks import K, check_not_after_today, locked


def _check_version(member: Member, version: int | None) -> None:
    """The version check of the record's edit: refuse if someone saved since the page was read."""
    if version is not None and member.version != version:
        raise ValidationError(
            _("Hồ sơ vừa được người khác thay đổi; hãy tải lại trang rồi làm lại."),
            code="stale",
        )


def replay(member: Member) -> MemberState:
    """Rebuild the member's roll periods and cached state from their standing events.

    Each event must be one its state before allows (``rules.may_follow``), else a
    ``ValidationError`` names it (the caller's transaction is then rolled back)."""
    events = list(member.events.standing().order_by("effective_date", "pk"))
    if not events:
        raise ValidationError(
            _("Không thể hủy sự kiện duy nhất của hồ sơ: hồ sơ sẽ không còn sự kiện nào.")
        )
    Membership.objects.filter(member=member).delete()
    state = MemberState()
    open_period: Membership | None = None
    admitted_on, recognized_on = member.admitted_on, member.recognized_on
    for event in events:
        if not may_follow(state.status, event.kind):
            raise ValidationError(
                _("Sau khi sửa, “%(kind)s” ngày %(day)s không còn hợp lệ (trạng thái: %(status)s).")
                % {
                    "kind": event.get_kind_display(),
                    "day": event.effective_date.strftime("%d/%m/%Y"),
                    "status": Status(state.status).label if state.status else _("chưa có"),
                }
            )
        if event.kind in Event.CLOSING_KINDS and open_period is not None:
            open_period.end_date, open_period.end_event = event.effective_date, event
            open_period.save(update_fields=["end_date", "end_event"])
            open_period = None
        if event.kind in Event.OPENING_KINDS:
            open_period = Membership.objects.create(
                member=member,
                unit_id=event.unit_id,
                start_date=event.effective_date,
                start_event=event,
            )
        if event.kind in Event.ADMISSION_KINDS:
            admitted_on, recognized_on = event.decision_date, None
        elif event.kind == K.RECOGNITION:
            recognized_on = event.effective_date
        elif event.kind in (K.TRANSFER_IN, K.RESTORATION) and event.probationary:
            recognized_on = None
        state = state.after(event)
    member.status, member.unit_id, member.record_unit_id = (
        state.status,
        state.unit_id,
        state.record_unit_id,
    )
    member.admitted_on, member.recognized_on = admitted_on, recognized_on
    member.version += 1
    member.save(
        update_fields=[
            "status",
            "unit",
            "record_unit",
            "admitted_on",
            "recognized_on",
            "version",
            "updated_at",
        ]
    )
    return state


def _check_between_neighbours(member: Member, event: Event) -> None:
    """A corrected day stays between the standing events before and after it: the timeline's
    order is the order the events were recorded in (to move an event further, cancel it and
    record it again)."""
    others = list(
        member.events.standing()
        .exclude(pk=event.pk)
        .order_by("effective_date", "pk")
        .values_list("pk", "effective_date")
    )
    before = [day for pk, day in others if pk < event.pk]
    after = [day for pk, day in others if pk > event.pk]
    day = event.effective_date
    if (before and day < max(before)) or (after and day > min(after)):
        raise ValidationError(
            {
                "effective_date": _(
                    "Ngày sửa phải nằm giữa các sự kiện trước và sau (%(low)s – %(high)s)."
                )
                % {
                    "low": max(before).strftime("%d/%m/%Y") if before else "…",
                    "high": min(after).strftime("%d/%m/%Y") if after else "…",
                }
            }
        )


@transaction.atomic
def event_cancel(
    *,
    event: Event,
    reason: str,
    decision: str = "",
    version: int | None = None,
    user=None,
) -> Event:
    """Cancel a mistaken event: it stays in the timeline, marked, and counts nowhere."""
    member = locked(event.member)
    _check_version(member, version)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.cancelled_at is not None:
        raise ValidationError(_("Sự kiện này đã được hủy trước đó."), code="already")
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do hủy.")})
    event.cancelled_at = timezone.now()
    event.cancelled_by = user if user is not None and user.is_authenticated else None
    event.cancellation_reason = reason.strip()
    event.cancellation_decision = decision.strip()
    event.save(
        update_fields=[
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "cancellation_decision",
        ]
    )
    replay(member)
    return event


# What a correction may change: the event's days, decision, cells, directive and reason.
CORRECTABLE = (
    "effective_date",
    "decision_no",
    "decision_date",
    "issuing_body",
    "directive",
    "ceremony_date",
    "reason",
    "unit",
    "notes",
)


@transaction.atomic
def event_correct(
    *,
    event: Event,
    reason: str,
    changes: dict,
    version: int | None = None,
    user=None,
) -> Event:
    """Correct an event's details (``changes``: CORRECTABLE names to new values), then replay;
    refused with the same checks as a new event (days, the model's rules, the constraints)."""
    member = locked(event.member)
    _check_version(member, version)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.cancelled_at is not None:
        raise ValidationError(_("Không sửa được một sự kiện đã hủy."))
    if not reason.strip():
        raise ValidationError({"correction_reason": _("Cần ghi lý do sửa.")})
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(event, name, value)
    if event.kind in Event.ADMISSION_KINDS:
        event.effective_date = event.decision_date  # an admission counts on its decision's day
    check_not_after_today(
        effective_date=event.effective_date,
        decision_date=event.decision_date,
        ceremony_date=event.ceremony_date,
    )
    _check_between_neighbours(member, event)
    if event.unit_id is not None and not event.unit.exists_on(event.effective_date):
        raise ValidationError({"unit": _("Chi bộ không tồn tại vào ngày hiệu lực.")})
    event.corrected_at = timezone.now()
    event.corrected_by = user if user is not None and user.is_authenticated else None
    event.correction_reason = reason.strip()
    event.full_clean(exclude=["member", "unit", "other_unit", "directive", "created_by"])
    event.save()
    replay(member)
    return event
