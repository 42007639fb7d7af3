"""Reading pages: the member list and a member's record. GET only.

Every page reads through the scoping helpers (``visible_to``, ``get_member``); nothing here
decides who sees what. Opening a record writes a ``RecordView`` row, for every role.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from .. import rules, selectors
from ..access import get_member, may_edit_member
from ..models import ACTIVE_STATUSES, Event, Member, RecordView, Status
from ..party_selectors import member_party_records

RECENT_VIEWS = 20


# --- member list -------------------------------------------------------------------------

# The list's columns in order, with the sort key of those that sort.
COLUMNS = [
    ("name", gettext_lazy("Họ và tên")),
    (None, gettext_lazy("Giới tính")),
    ("dob", gettext_lazy("Ngày sinh")),
    ("unit", gettext_lazy("Chi bộ")),
    (None, gettext_lazy("Trạng thái")),
    ("admitted", gettext_lazy("Ngày vào Đảng")),
    (None, gettext_lazy("Ngày chính thức")),
]


@login_required
@require_safe
def member_list(request):
    found = selectors.member_list_page(request)
    sort = found.sort
    columns = []
    for key, label in COLUMNS:
        current = key is not None and sort.lstrip("-") == key
        descending = current and sort.startswith("-")
        columns.append(
            {
                "label": label,
                "sort": None if key is None else (key if not current or descending else f"-{key}"),
                "current": current,
                "descending": descending,
            }
        )
    return render(
        request,
        "members/member_list.html",
        {
            "filter": found.filter,
            "form": found.filter.form,
            "page": found.page,
            "sort": sort,
            "columns": columns,
        },
    )


# --- a member's record -------------------------------------------------------------------

# Fields that say nothing to a reader of the audit trail.
AUDIT_SKIPPED = {
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "name_folded",
    "name_sort_key",
}


def _display(field, value) -> str:
    """A field's value as the record shows it: choices by label, dates dd/mm/yyyy, yes/no."""
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _record(member: Member) -> list[tuple[str, str]]:
    meta = Member._meta
    return [
        (
            str(meta.get_field(name).verbose_name),
            _display(meta.get_field(name), getattr(member, name)),
        )
        for name in rules.RECORD_FIELDS
    ]


@dataclasses.dataclass(frozen=True)
class _Change:
    field: str
    old: object
    new: object


def _changes(rows, model) -> list[dict]:
    """Consecutive history rows of one object, diffed in Python: who changed what, when.

    ``rows`` are in chronological order; a row without a predecessor is the creation.
    ``diff_against`` compares only the fields a form may edit, so the fields the services
    keep (status, cells) are compared here as well: they are what an audit most needs.
    """
    skipped = AUDIT_SKIPPED | {"id", "member"}
    tracked = [f for f in model._meta.fields if f.name not in skipped]
    kept = [f for f in tracked if not f.editable]
    entries = []
    previous = None
    for row in rows:
        if previous is None or row.history_type != "~":
            changes = []
        else:
            delta = row.diff_against(previous, excluded_fields=skipped)
            changes = [
                _Change(c.field, c.old, c.new) for c in delta.changes if c.field not in skipped
            ] + [
                _Change(f.name, getattr(previous, f.attname), getattr(row, f.attname))
                for f in kept
                if getattr(previous, f.attname) != getattr(row, f.attname)
            ]
            if not changes:
                previous = row
                continue  # saved again without a change
        previous = row
        entries.append({"row": row, "changes": changes})
    return entries


def _audit(member: Member, events: list[Event]) -> list[dict]:
    """The member's and their events' history, newest first: two queries, plus one for the
    names of the units and one for the directives that some change refers to, if any."""
    member_rows = list(
        member.history.select_related("history_user").order_by("history_date", "history_id")
    )
    event_rows = defaultdict(list)
    for row in (
        Event.history.filter(member_id=member.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        event_rows[row.id].append(row)

    entries = []
    for entry in _changes(member_rows, Member):
        entry["model"], entry["subject"] = Member, _("Hồ sơ")
        entries.append(entry)
    for rows in event_rows.values():
        for entry in _changes(rows, Event):
            entry["model"] = Event
            entry["subject"] = _("Sự kiện: %(kind)s") % {"kind": Event.Kind(rows[-1].kind).label}
            entries.append(entry)

    # Foreign keys are shown by name, fetched once for all the changes.
    wanted = defaultdict(set)
    for entry in entries:
        for change in entry["changes"]:
            field = entry["model"]._meta.get_field(change.field)
            if field.is_relation:
                wanted[field.related_model].update(v for v in (change.old, change.new) if v)
    names = {}
    for model, pks in wanted.items():
        names.update({(model, obj.pk): str(obj) for obj in model.objects.filter(pk__in=pks)})
    for entry in entries:
        lines = []
        for change in entry["changes"]:
            field = entry["model"]._meta.get_field(change.field)
            if field.is_relation:
                old, new = (
                    names.get((field.related_model, v), "—") if v else "—"
                    for v in (change.old, change.new)
                )
            else:
                old, new = _display(field, change.old), _display(field, change.new)
            lines.append({"field": str(field.verbose_name), "old": old, "new": new})
        entry["lines"] = lines
    entries.sort(key=lambda e: (e["row"].history_date, e["row"].history_id), reverse=True)
    return entries


def _probation_ends(member: Member, events: list[Event]) -> datetime.date | None:
    """``services.probation_ends`` from the events already loaded (no query)."""
    admissions = [e for e in events if e.kind in Event.ADMISSION_KINDS]
    return rules.probation_end(rules.probation_start(admissions, member.admitted_on))


def _readmission(member: Member, events: list[Event]) -> rules.Readmission | None:
    """R14 for a removed member, from the events already loaded: the earliest day of a
    re-admission, or why never."""
    if member.status != Status.REMOVED:
        return None
    removal = [e for e in events if e.kind in Event.REMOVAL_KINDS][-1]
    eligibility = rules.readmission_eligibility(
        reason=removal.reason,
        left_on=removal.effective_date,
        readmitted_before=any(e.kind == Event.Kind.READMISSION for e in events),
    )
    eligibility.removal = removal  # the page names its reason
    return eligibility


@login_required
@require_safe
def member_detail(request, pk: int):
    member = get_member(request.user, pk)
    RecordView.objects.create(user=request.user, member=member)
    events = list(
        member.events.select_related(
            "unit", "other_unit", "directive", "cancelled_by", "corrected_by"
        ).order_by("effective_date", "pk")
    )
    may_edit = may_edit_member(request.user, member)
    context = {
        "member": member,
        "record": _record(member),
        "events": events,
        "may_edit": may_edit,
        "is_active": member.status in ACTIVE_STATUSES,
        "is_probationary": member.status == Status.PROBATIONARY,
        "is_removed": member.status == Status.REMOVED,
        "probation_ends": (
            _probation_ends(member, [e for e in events if e.cancelled_at is None])
            if member.status == Status.PROBATIONARY
            else None
        ),
        "today": timezone.localdate(),
        # Printed without the audit trail unless asked (``?audit=1``).
        "print_audit": request.GET.get("audit") == "1",
        **member_party_records(member, events),
        "party_age": rules.party_age(events, timezone.localdate(), admitted_on=member.admitted_on),
        "readmission": _readmission(member, events),
    }
    if may_edit:
        context["audit"] = _audit(member, events)
        context["views"] = list(member.views.select_related("user")[:RECENT_VIEWS])
    return render(request, "members/member_detail.html", context)
