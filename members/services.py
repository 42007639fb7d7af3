"""The one writer of membership events.

Each event kind has one public function here. It checks the kind's rules (refusing with a
Vietnamese ``ValidationError`` keyed by the field at fault), writes the event, opens or closes
the member's period on a cell's roll and updates the member's cached state, all in one
transaction, with the member's row locked so two clerks cannot interleave.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import Unit
from common.dates import (
    add_months,  # noqa: F401 (imported from here by the generator and the tests)
    dmy,
)
from common.vntext import fold

from . import rules
from .models import ACTIVE_STATUSES, Directive, Event, Member, Membership, MemberState, Status
from .rules import (
    MAX_ADMISSION_AGE,
    MIN_ADMISSION_AGE,
    PROBATION_MONTHS,  # noqa: F401 (imported from here by the generator)
    READMISSION_WAIT_MONTHS,
)
from .search import ensure_names

K = Event.Kind


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The decision an event is made by, and the directive it carries out (if any)."""

    number: str = ""
    date: datetime.date | None = None
    issuing_body: str = ""
    directive: Directive | None = None
    notes: str = ""


# --- checks shared by the event kinds -------------------------------------------------------


def _check_unit_on(
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


def _check_active(member: Member, kind: str) -> None:
    if member.status not in ACTIVE_STATUSES:
        raise ValidationError(
            _(
                "Không thể ghi “%(kind)s” cho đảng viên có trạng thái “%(status)s”: "
                "chỉ được kết nạp lại hoặc phục hồi đảng tịch."
            )
            % {"kind": K(kind).label, "status": member.get_status_display()}
        )


def _check_after_last_event(member: Member, day: datetime.date) -> None:
    last = member.events.order_by("-effective_date", "-pk").values_list("effective_date", flat=True)
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


def _check_admission_age(member: Member, day: datetime.date) -> None:
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


def _locked(member: Member) -> Member:
    """Re-read the member under a row lock: the rules are checked against committed state."""
    return Member.objects.select_for_update().get(pk=member.pk)


def _write_event(
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
def _unsaved_if_failing(member: Member):
    """A new record whose creation fails is rolled back: leave the instance unsaved too, so
    the caller (a form being corrected) can try again with it."""
    try:
        yield
    except BaseException:
        member.pk = None
        member._state.adding = True
        raise


def _save_new_record(member: Member) -> None:
    """Insert a new member's row, its name into the dictionary of names first."""
    ensure_names([fold(member.full_name)])
    member.save()


def _require_decision(decision: Decision, effective_date: datetime.date) -> None:
    errors = {}
    if not decision.number.strip():
        errors["decision_no"] = _("Cần ghi số quyết định.")
    if decision.date is None:
        errors["decision_date"] = _("Cần ghi ngày quyết định.")
    elif decision.date > effective_date:
        errors["decision_date"] = _("Ngày quyết định không được sau ngày hiệu lực.")
    if errors:
        raise ValidationError(errors)


# --- the record ---------------------------------------------------------------------------


@transaction.atomic(savepoint=False)
def member_record_save(
    *, member: Member, user=None, update_fields: Iterable[str] | None = None
) -> None:
    """Save a member's record (all of it, or ``update_fields``), adding its name to the
    dictionary of names first when the name is written. For corrections of the record (the
    edit page, the admin, a roster's updates); new members come in through the events'
    services. ``user``, if given, is the one the record's history names."""
    if update_fields is None or "full_name" in update_fields:
        ensure_names([fold(member.full_name)])
    if user is not None:
        member._history_user = user
    member.save(update_fields=update_fields)


# --- the event kinds -----------------------------------------------------------------------


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
    _require_decision(decision, decision.date or ceremony_date)
    day = decision.date
    if ceremony_date < day:
        raise ValidationError({"ceremony_date": _("Lễ kết nạp không được trước ngày quyết định.")})
    _check_admission_age(member, day)
    unit = _check_unit_on(unit, day)
    member.status = Status.PROBATIONARY
    member.unit = member.record_unit = unit
    member.admitted_on = day
    member.recognized_on = None
    with _unsaved_if_failing(member):
        member.full_clean()
        _save_new_record(member)
        return _write_event(
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
    member = _locked(member)
    _require_decision(decision, decision.date or ceremony_date)
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
    _check_admission_age(member, day)
    unit = _check_unit_on(unit, day)
    _check_after_last_event(member, day)
    member.admitted_on = day
    member.recognized_on = None
    return _write_event(
        member,
        kind=K.READMISSION,
        effective_date=day,
        unit=unit,
        decision=decision,
        user=user,
        ceremony_date=ceremony_date,
        sponsors=sponsors.strip(),
    )


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
    *, member: Member, effective_date: datetime.date, decision: Decision, user=None
) -> Event:
    """Recognize a probationary member as official, 12 months after the admission ceremony."""
    member = _locked(member)
    if member.status != Status.PROBATIONARY:
        raise ValidationError(
            _("Chỉ công nhận chính thức đảng viên dự bị (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    _require_decision(decision, effective_date)
    earliest = probation_ends(member)
    if earliest is not None and effective_date < earliest:
        raise ValidationError(
            {
                "effective_date": _(
                    "Chưa đủ 12 tháng dự bị: chỉ được công nhận chính thức từ ngày %(earliest)s."
                )
                % {"earliest": dmy(earliest)}
            }
        )
    _check_after_last_event(member, effective_date)
    member.recognized_on = effective_date
    return _write_event(
        member,
        kind=K.RECOGNITION,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
    )


@transaction.atomic
def member_transfer(
    *, member: Member, to_unit: Unit, effective_date: datetime.date, decision: Decision, user=None
) -> tuple[Event, Event]:
    """Official transfer between two cells of this system: out of one roll, onto the other."""
    member = _locked(member)
    _check_active(member, K.TRANSFER_OUT)
    _require_decision(decision, effective_date)
    from_unit = member.unit
    if to_unit.pk == from_unit.pk:
        raise ValidationError({"to_unit": _("Đảng viên đang sinh hoạt ở chi bộ này.")})
    _check_unit_on(from_unit, effective_date, field="effective_date", opens_period=False)
    to_unit = _check_unit_on(to_unit, effective_date, field="to_unit")
    _check_after_last_event(member, effective_date)
    probationary = member.status == Status.PROBATIONARY
    out = _write_event(
        member,
        kind=K.TRANSFER_OUT,
        effective_date=effective_date,
        unit=from_unit,
        decision=decision,
        user=user,
        other_unit=to_unit,
    )
    arrival = _write_event(
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
    member = _locked(member)
    _check_active(member, K.TRANSFER_OUT)
    _require_decision(decision, effective_date)
    if not destination.strip():
        raise ValidationError({"destination": _("Cần ghi nơi chuyển đến.")})
    _check_after_last_event(member, effective_date)
    return _write_event(
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
    _require_decision(decision, effective_date)
    unit = _check_unit_on(unit, effective_date)
    creating = member.pk is None
    if not creating:
        member = _locked(member)
        if member.status != Status.TRANSFERRED_OUT:
            raise ValidationError(
                _("Chỉ tiếp nhận lại đảng viên đã chuyển đi (trạng thái hiện tại: %(status)s).")
                % {"status": member.get_status_display()}
            )
        _check_after_last_event(member, effective_date)
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
    with _unsaved_if_failing(member) if creating else contextlib.nullcontext():
        if creating:
            member.full_clean()
            _save_new_record(member)
        return _write_event(
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
    member = _locked(member)
    _check_active(member, K.TEMPORARY_TRANSFER)
    _require_decision(decision, effective_date)
    if to_unit is None and not destination.strip():
        raise ValidationError({"destination": _("Cần ghi nơi sinh hoạt tạm thời.")})
    if to_unit is not None:
        _check_unit_on(to_unit, effective_date, field="to_unit", opens_period=False)
    _check_after_last_event(member, effective_date)
    return _write_event(
        member,
        kind=K.TEMPORARY_TRANSFER,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
        other_unit=to_unit,
        other_unit_name=destination.strip(),
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
    member = _locked(member)
    _check_active(member, kind)
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
    _require_decision(decision, effective_date)
    _check_after_last_event(member, effective_date)
    return _write_event(
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
    member = _locked(member)
    _check_active(member, K.DEATH)
    _check_after_last_event(member, effective_date)
    return _write_event(
        member,
        kind=K.DEATH,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision or Decision(),
        user=user,
    )


@transaction.atomic
def member_exempt(
    *, member: Member, effective_date: datetime.date, decision: Decision, user=None
) -> Event:
    """Exempt an old or sick member from party activities; they stay a member."""
    member = _locked(member)
    _check_active(member, K.EXEMPTION)
    _require_decision(decision, effective_date)
    _check_after_last_event(member, effective_date)
    return _write_event(
        member,
        kind=K.EXEMPTION,
        effective_date=effective_date,
        unit=member.unit,
        decision=decision,
        user=user,
    )


@transaction.atomic
def member_restore(
    *, member: Member, unit: Unit, effective_date: datetime.date, decision: Decision, user=None
) -> Event:
    """Restore the membership of someone wrongly removed, with the status they had before."""
    member = _locked(member)
    if member.status != Status.REMOVED:
        raise ValidationError(
            _("Chỉ phục hồi đảng tịch cho người đã ra khỏi Đảng (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    _require_decision(decision, effective_date)
    unit = _check_unit_on(unit, effective_date)
    _check_after_last_event(member, effective_date)
    return _write_event(
        member,
        kind=K.RESTORATION,
        effective_date=effective_date,
        unit=unit,
        decision=decision,
        user=user,
        probationary=member.recognized_on is None,
    )
