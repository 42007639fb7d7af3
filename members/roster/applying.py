"""Applying an import's plan: each member's history written through the services, step 3.

For each member row (or group of events rows of a member already recorded), ``apply`` builds
the steps of that member's history (the start: an admission or an arrival; a recognition the
members sheet gives; each new event), sorts them by date and calls the same service as the
forms for each, in a savepoint: rolled back in a check, kept in a commit unless a step is
refused. A refusal is reported on the row and column at fault. An events row's kind picks its
step from ``ACTION_HANDLERS``, one small function a kind. The pass's state is a
``context.Run``; planning calls ``apply`` and ``save``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from branches.models import Unit

from .. import services
from ..models import Event, Member, RosterImport, RosterImportRow
from ..models import Status as MemberStatus
from .columns import COLUMNS, RECORD_KEYS, EventAction, Sheet, decode
from .context import Run, add_error
from .reading import BATCH

K = Event.Kind
Action = RosterImportRow.Action


@dataclasses.dataclass
class _Item:
    """One step of a member's history as the import will write it."""

    row: RosterImportRow  # where an error is reported
    day: datetime.date
    order: int
    write: Callable[[Member], object]
    fields: dict[str, str]  # a service's field name -> the column key it stands for
    default: str  # the column key of errors that name no field


# Service field names → the members sheet's columns.
_ADMIT_FIELDS = {
    "decision_no": "admission_no",
    "decision_date": "admitted_on",
    "ceremony_date": "ceremony_date",
    "unit": "unit_code",
    **{key: key for key in RECORD_KEYS},
}
_ARRIVAL_FIELDS = {
    "decision_no": "arrival_no",
    "decision_date": "arrived_on",
    "effective_date": "arrived_on",
    "origin": "origin",
    "unit": "unit_code",
    "admitted_on": "admitted_on",
    "recognized_on": "recognized_on",
    "probationary": "recognized_on",
    **{key: key for key in RECORD_KEYS},
}
_RECOGNITION_FIELDS = {
    "decision_no": "recognition_no",
    "decision_date": "recognized_on",
    "effective_date": "recognized_on",
}
# Service field names → the events sheet's columns.
_EVENT_FIELDS = {
    "effective_date": "effective_date",
    "decision_no": "decision_no",
    "decision_date": "decision_date",
    "unit": "unit_code",
    "to_unit": "unit_code",
    "destination": "other_unit_name",
    "origin": "other_unit_name",
    "reason": "reason",
    "kind": "action",
    "ceremony_date": "ceremony_date",
    "date_of_birth": "action",
    "probationary": "action",
}


class _Refused(Exception):
    def __init__(self, row: RosterImportRow, column: str, message: str):
        self.row, self.column, self.message = row, column, message


def _decision(run: Run, v: dict, *, number_key: str, date: datetime.date | None, body=None):
    directive = run.directives.get(v.get("directive", ""))
    return services.Decision(
        number=v.get(number_key, ""),
        date=date,
        issuing_body=v.get("issuing_body", "") if body is None else body,
        directive=directive,
        notes=v.get("notes", ""),
    )


def _items(run: Run, row, v, member, event_rows, units) -> list[_Item]:
    items: list[_Item] = []
    creating = row is not None and row.action == Action.CREATE
    if creating:
        items.append(_start(run, row, v, units))
    if row is not None and "recognized_on" in v and "recognition_no" in v:
        arrival_official = (
            creating
            and "admission_no" not in v
            and "arrived_on" in v
            and v["recognized_on"] <= v["arrived_on"]
        )
        recorded = (
            member is not None
            and (member.pk, K.RECOGNITION, v["recognized_on"], v["recognition_no"]) in run.known
        )
        due = creating or member.status == MemberStatus.PROBATIONARY
        if due and not arrival_official and not recorded:
            decision = services.Decision(
                number=v["recognition_no"],
                date=v["recognized_on"],
                issuing_body=v.get("issuing_body", ""),
            )
            items.append(
                _Item(
                    row,
                    v["recognized_on"],
                    1,
                    lambda m, d=decision, day=v["recognized_on"]: services.member_recognize(
                        member=m, effective_date=day, decision=d, user=run.user
                    ),
                    _RECOGNITION_FIELDS,
                    "recognized_on",
                )
            )
    for event_row in event_rows:
        if event_row.action == Action.NEW_EVENT and not event_row.errors:
            items.append(_event(run, event_row, units))
    items.sort(key=lambda i: (i.order != 0, i.day, i.order))
    return items


def _start(run: Run, row, v, units) -> _Item:
    unit = units.get(v.get("unit_code"))
    record = {k: v[k] for k in RECORD_KEYS if k in v}
    if "admission_no" in v:
        day = v["admitted_on"]
        decision = _decision(run, v, number_key="admission_no", date=day)

        def write(_member, record=record, decision=decision, v=v):
            member = Member(**record)
            services.member_admit(
                member=member,
                unit=unit,
                decision=decision,
                ceremony_date=v.get("ceremony_date", day),
                sponsors=v.get("sponsors", ""),
                user=run.user,
            )
            return member

        return _Item(row, day, 0, write, _ADMIT_FIELDS, "")
    day = v["arrived_on"]
    decision = _decision(run, v, number_key="arrival_no", date=day)
    recognized = v.get("recognized_on")
    official = recognized is not None and recognized <= day

    def arrive(_member, record=record, decision=decision, v=v):
        member = Member(
            **record,
            admitted_on=v["admitted_on"],
            recognized_on=recognized if official else None,
        )
        services.member_transfer_in(
            member=member,
            unit=unit,
            origin=v["origin"],
            effective_date=day,
            decision=decision,
            probationary=not official,
            user=run.user,
        )
        return member

    return _Item(row, day, 0, arrive, _ARRIVAL_FIELDS, "")


# --- the events sheet: one handler a kind ---


@dataclasses.dataclass(frozen=True)
class EventArgs:
    """An events row's arguments for its service, decoded once."""

    action: str
    day: datetime.date  # the effective date
    unit: Unit | None  # "Mã chi bộ": a cell of this system
    other: str  # "Đơn vị ngoài hệ thống": a unit outside it
    decision: services.Decision | None
    decided_on: datetime.date
    values: dict  # the whole row (reason, ceremony date, sponsors)
    user: object


def _transfer(member: Member, e: EventArgs):
    return services.member_transfer(
        member=member, to_unit=e.unit, effective_date=e.day, decision=e.decision, user=e.user
    )


def _transfer_out(member: Member, e: EventArgs):
    return services.member_transfer_out(
        member=member, destination=e.other, effective_date=e.day, decision=e.decision, user=e.user
    )


def _transfer_in(member: Member, e: EventArgs):
    return services.member_transfer_in(
        member=member,
        unit=e.unit,
        origin=e.other,
        effective_date=e.day,
        decision=e.decision,
        probationary=member.recognized_on is None,
        user=e.user,
    )


def _temporary_transfer(member: Member, e: EventArgs):
    return services.member_temporary_transfer(
        member=member,
        destination=e.other,
        to_unit=e.unit,
        effective_date=e.day,
        decision=e.decision,
        user=e.user,
    )


def _recognize(member: Member, e: EventArgs):
    return services.member_recognize(
        member=member, effective_date=e.day, decision=e.decision, user=e.user
    )


def _remove(member: Member, e: EventArgs):
    return services.member_remove(
        member=member,
        kind=e.action,
        reason=e.values.get("reason", ""),
        effective_date=e.day,
        decision=e.decision,
        # A discharge in a file is a decision already made on the member's application (its
        # reason says so, checked): the committee judged the standards kept.
        standards_kept=True,
        user=e.user,
    )


def _record_death(member: Member, e: EventArgs):
    return services.member_record_death(
        member=member, effective_date=e.day, decision=e.decision, user=e.user
    )


def _exempt(member: Member, e: EventArgs):
    # A roster's exemption stands for the cell's decision, taken on R16's grounds (poor
    # health, the member's request); the age is still checked.
    return services.member_exempt(
        member=member,
        effective_date=e.day,
        decision=e.decision,
        poor_health=True,
        on_request=True,
        user=e.user,
    )


def _restore(member: Member, e: EventArgs):
    return services.member_restore(
        member=member, unit=e.unit, effective_date=e.day, decision=e.decision, user=e.user
    )


def _readmit(member: Member, e: EventArgs):
    if e.decided_on != e.day:
        message = _("Kết nạp lại tính từ ngày quyết định: ghi hai ngày như nhau.")
        raise ValidationError({"decision_date": message})
    return services.member_readmit(
        member=member,
        unit=e.unit,
        decision=e.decision,
        ceremony_date=e.values.get("ceremony_date", e.day),
        sponsors=e.values.get("sponsors", ""),
        # A roster carries history written before the system: the province's consent is on
        # paper, not in the file (docs/rules.md, R14).
        imported_history=True,
        user=e.user,
    )


# Each kind of the events sheet ("Loại sự kiện") and the service that writes it.
ACTION_HANDLERS: dict[str, Callable[[Member, EventArgs], object]] = {
    EventAction.TRANSFER: _transfer,
    EventAction.TRANSFER_OUT: _transfer_out,
    EventAction.TRANSFER_IN: _transfer_in,
    EventAction.TEMPORARY_TRANSFER: _temporary_transfer,
    EventAction.RECOGNITION: _recognize,
    **{EventAction(kind): _remove for kind in Event.REMOVAL_KINDS},
    EventAction.DEATH: _record_death,
    EventAction.EXEMPTION: _exempt,
    EventAction.RESTORATION: _restore,
    EventAction.READMISSION: _readmit,
}


def _event(run: Run, row: RosterImportRow, units) -> _Item:
    v = decode(Sheet.EVENTS, row.values)
    action = v["action"]
    day = v["effective_date"]
    decided_on = v.get("decision_date", day)
    if action == EventAction.DEATH and "decision_no" not in v:
        decision = (
            None
            if "decision_date" not in v
            else _decision(run, v, number_key="decision_no", date=decided_on)
        )
    else:
        decision = _decision(run, v, number_key="decision_no", date=decided_on)
    handler = ACTION_HANDLERS[action]
    args = EventArgs(
        action=action,
        day=day,
        unit=units.get(v.get("unit_code")),
        other=v.get("other_unit_name", ""),
        decision=decision,
        decided_on=decided_on,
        values=v,
        user=run.user,
    )

    def write(member: Member):
        return handler(member, args)

    return _Item(row, day, 2 + row.number, write, _EVENT_FIELDS, "action")


def apply(run: Run, row, v, member, event_rows, units) -> None:
    """Write the member's history (the record's changes, then each step in date order), in a
    savepoint; in a check, or when a step is refused, it is rolled back."""
    if not run.histories or (row is not None and (row.errors or row.action == Action.SKIP)):
        return
    if any(r.errors for r in event_rows if r.action == Action.NEW_EVENT):
        return
    items = _items(run, row, v, member, event_rows, units)
    if not items and not (row is not None and row.changes):
        return
    try:
        with transaction.atomic():
            try:
                if row is not None and row.changes:
                    member = _update_record(row, member)
                for item in items:
                    result = _step(item, member)
                    member = result if isinstance(result, Member) else member
                    member.refresh_from_db()
                if row is not None and row.member_id is None and run.commit:
                    row.member = member  # the preview links the new record
            except _Refused as refused:
                add_error(refused.row, refused.column, refused.message)
                transaction.set_rollback(True)
                return
            if not run.commit:
                transaction.set_rollback(True)
    except IntegrityError:  # a rule the checks above missed; the database held
        target = row if row is not None else event_rows[0]
        add_error(target, "", _("Dữ liệu vi phạm ràng buộc của cơ sở dữ liệu."))


def _step(item: _Item, member: Member | None):
    try:
        return item.write(member)
    except ValidationError as error:
        sheet = item.row.sheet
        if hasattr(error, "error_dict"):
            field, messages = next(iter(error.message_dict.items()))
            key = item.fields.get(field, item.default)
        else:
            key, messages = item.default, error.messages
        key = key if key in {c.key for c in COLUMNS[sheet]} else ""
        raise _Refused(item.row, key, messages[0]) from None


def _update_record(row: RosterImportRow, member: Member) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.version != row.member_version:
        raise _Refused(row, "", _("Hồ sơ đã được sửa sau khi kiểm tra tệp; hãy kiểm tra lại."))
    changed = decode(Sheet.MEMBERS, {k: new for k, (_old, new) in row.changes.items()})
    for key, new in changed.items():
        setattr(member, key, new)
    member.version += 1
    try:
        member.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise _Refused(row, field if field in RECORD_KEYS else "", messages[0]) from None
    services.member_record_save(member=member, update_fields=[*changed, "version", "updated_at"])
    return member


def save(run: Run, rows: list[RosterImportRow]) -> None:
    """Store the planned rows (their actions, notes and errors); a check counts them done."""
    for row in rows:
        row.error_count = len(row.errors)
    if run.commit:
        for row in rows:
            if row.errors:
                run.failed[row.pk] = row.errors
    # Rewritten whole (delete, then insert with the same keys): two statements, where
    # bulk_update builds a CASE per field and row, slow in Python (docs/performance.md).
    # Nothing refers to staged rows, and they are re-read by number, not by position.
    RosterImportRow.objects.filter(pk__in=[r.pk for r in rows]).delete()
    RosterImportRow.objects.bulk_create(rows, batch_size=BATCH)
    if not run.commit:
        run.ri.rows_done = min(run.ri.rows_done + len(rows), run.ri.rows_total)
        RosterImport.objects.filter(pk=run.ri.pk).update(rows_done=run.ri.rows_done)
