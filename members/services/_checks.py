"""What the services share: the decision an event is made by, the checks several event
kinds make, and the one writer of an event and of the state it changes."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Unit
from common.dates import dmy
from common.vntext import fold

from ..models import ACTIVE_STATUSES, Directive, Event, Member, Membership, MemberState
from ..rules import MAX_ADMISSION_AGE, MIN_ADMISSION_AGE
from ..search import ensure_names

K = Event.Kind


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The decision an event is made by, and the directive it carries out (if any)."""

    number: str = ""
    date: datetime.date | None = None
    issuing_body: str = ""
    directive: Directive | None = None
    notes: str = ""


def check_unit_on(
    unit: Unit, day: datetime.date, field: str = "unit", *, opens_period: bool = True
) -> Unit:
    """``unit`` keeps a roll and exists on ``day``; a period opened on its roll must not
    outlive it, so a dissolved cell takes no one, even on a day before its dissolution.

    Checked against the committed row, locked when a period is opened on it (so that a
    dissolution and an admission cannot both pass); returns that row."""
    rows = Unit.objects.select_for_update() if opens_period else Unit.objects
    unit = rows.get(pk=unit.pk)
    if not unit.holds_members:
        raise ValidationError(
            {
                field: _("“%(unit)s” không phải chi bộ; đảng viên sinh hoạt ở chi bộ.")
                % {"unit": unit}
            }
        )
    if not unit.exists_on(day):
        raise ValidationError(
            {
                field: _("Chi bộ “%(unit)s” không tồn tại vào ngày %(day)s.")
                % {"unit": unit, "day": dmy(day)}
            }
        )
    if opens_period and unit.dissolved_on is not None:
        raise ValidationError(
            {
                field: _("Chi bộ “%(unit)s” đã giải thể từ ngày %(day)s; không thể tiếp nhận.")
                % {"unit": unit, "day": dmy(unit.dissolved_on)}
            }
        )
    return unit


def check_active(member: Member, kind: str) -> None:
    if member.status not in ACTIVE_STATUSES:
        raise ValidationError(
            _(
                "Không thể ghi “%(kind)s” cho đảng viên có trạng thái “%(status)s”: "
                "chỉ được kết nạp lại hoặc phục hồi đảng tịch."
            )
            % {"kind": K(kind).label, "status": member.get_status_display()}
        )


def check_after_last_event(member: Member, day: datetime.date) -> None:
    last = (
        member.events.standing()
        .order_by("-effective_date", "-pk")
        .values_list("effective_date", flat=True)
    )
    last_day = last.first()
    if last_day is not None and day < last_day:
        raise ValidationError(
            {
                "effective_date": _(
                    "Ngày hiệu lực %(day)s trước sự kiện gần nhất của đảng viên (%(last)s)."
                )
                % {"day": dmy(day), "last": dmy(last_day)}
            }
        )


def check_not_after_today(**days: datetime.date | None) -> None:
    """No event, decision or ceremony after today (a decision may be recorded on the day it is
    signed): each day later than today is refused next to its field."""
    today = timezone.localdate()
    errors = {
        field: _("Ngày %(day)s sau hôm nay (%(today)s): chưa ghi được việc chưa xảy ra.")
        % {"day": dmy(day), "today": dmy(today)}
        for field, day in days.items()
        if day is not None and day > today
    }
    if errors:
        raise ValidationError(errors)


def check_admission_age(member: Member, day: datetime.date) -> None:
    age = member.age_on(day)
    if not MIN_ADMISSION_AGE <= age <= MAX_ADMISSION_AGE:
        raise ValidationError(
            {
                "date_of_birth": _(
                    "Người vào Đảng phải từ đủ %(low)s đến %(high)s tuổi; "
                    "ngày %(day)s người này %(age)s tuổi."
                )
                % {
                    "low": MIN_ADMISSION_AGE,
                    "high": MAX_ADMISSION_AGE,
                    "day": dmy(day),
                    "age": age,
                }
            }
        )


def locked(member: Member) -> Member:
    """Re-read the member under a row lock: the rules are checked against committed state."""
    return Member.objects.select_for_update().get(pk=member.pk)


def write_event(
    member: Member,
    *,
    kind: str,
    effective_date: datetime.date,
    unit: Unit,
    decision: Decision,
    user=None,
    **fields,
) -> Event:
    """Save one event and apply it: close/open the roll period, update the cached state."""
    check_not_after_today(
        effective_date=effective_date,
        decision_date=decision.date,
        ceremony_date=fields.get("ceremony_date"),
    )
    event = Event(
        member=member,
        kind=kind,
        effective_date=effective_date,
        unit=unit,
        decision_no=decision.number.strip(),
        decision_date=decision.date,
        issuing_body=decision.issuing_body.strip(),
        directive=decision.directive,
        notes=decision.notes,
        created_by=user if user is not None and user.is_authenticated else None,
        **fields,
    )
    # Field checks only: each rule was checked above with its own message, the instances
    # behind the foreign keys are in hand, and the constraints stand guard in the database.
    event.full_clean(
        exclude=["member", "unit", "other_unit", "directive", "created_by"],
        validate_constraints=False,
    )
    event.save()

    if kind in Event.CLOSING_KINDS:
        closed = Membership.objects.filter(member=member, end_date__isnull=True).update(
            end_date=effective_date, end_event=event
        )
        if closed != 1:  # the cached state said active, so exactly one period must be open
            raise RuntimeError(f"member {member.pk}: {closed} open roll periods")
    if kind in Event.OPENING_KINDS:
        Membership.objects.create(
            member=member, unit=unit, start_date=effective_date, start_event=event
        )

    state: MemberState = member.state.after(event)
    member.status, member.unit_id, member.record_unit_id = (
        state.status,
        state.unit_id,
        state.record_unit_id,
    )
    member.save(
        update_fields=[
            "status",
            "unit",
            "record_unit",
            "admitted_on",
            "recognized_on",
            "updated_at",
        ]
    )
    return event


@contextlib.contextmanager
def unsaved_if_failing(member: Member):
    """A new record whose creation fails is rolled back: leave the instance unsaved too, so
    the caller (a form being corrected) can try again with it."""
    try:
        yield
    except BaseException:
        member.pk = None
        member._state.adding = True
        raise


def save_new_record(member: Member) -> None:
    """Insert a new member's row, its name into the dictionary of names first."""
    ensure_names([fold(member.full_name)])
    member.save()


def require_decision(decision: Decision, effective_date: datetime.date) -> None:
    errors = {}
    if not decision.number.strip():
        errors["decision_no"] = _("Cần ghi số quyết định.")
    if decision.date is None:
        errors["decision_date"] = _("Cần ghi ngày quyết định.")
    elif decision.date > effective_date:
        errors["decision_date"] = _("Ngày quyết định không được sau ngày hiệu lực.")
    if errors:
        raise ValidationError(errors)
