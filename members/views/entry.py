"""Data entry: one page per kind of membership event, the new-record pages and the record's edit.

Every page works the same way. GET shows the form. POST validates it, then calls the ONE service
of the event kind (``members.services``), which checks the kind's rules and writes everything in
one transaction. A refusal (a ``ValidationError`` keyed by field names) is put back on the form
next to the field it names, and the page is shown again with everything typed kept; on success a
message and a redirect to the member's page. A database too busy to take the write (SQLite's
lock held by a roster's commit, ``thotnot_members.busy``) is said at the top of the form, again
with everything typed kept.

Access: objects through ``members.access.get_member(..., for_edit=True)`` (404 outside the
user's scope, 403 for a reader); pages without an object refuse readers with 403 through
``branches.access.may_edit_anything``. The forms offer only the user's own cells.
"""

from __future__ import annotations

import copy
import datetime

from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common.dates import dmy

from .. import forms, rules, selectors, services
from ..access import get_member
from ..models import Member, Status
from .steps import (
    WRITE_METHODS,
    after_race,
    bound,
    form_page,
    once,
    require_editor,
    saved,
    show_busy,
    written,
    written_new_record,
)

# --- new records ---------------------------------------------------------------------------


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_admit(request: HttpRequest) -> HttpResponse:
    """A new person's record and their admission to a cell, on probation."""
    require_editor(request.user)
    form = forms.MemberAdmitForm(bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = form.save(commit=False)
        if written_new_record(
            form,
            lambda: services.member_admit(
                member=member,
                unit=data["unit"],
                decision=form.decision(),
                ceremony_date=data["ceremony_date"],
                sponsors=data["sponsors"],
                user=request.user,
            ),
        ):
            return saved(request, member, _("Đã ghi kết nạp %(name)s.") % {"name": member})
    return form_page(request, "entry_admit.html", form)


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_transfer_in(request: HttpRequest) -> HttpResponse:
    """A member arriving from outside the system: a new record on a cell's roll."""
    require_editor(request.user)
    form = forms.MemberTransferInForm(bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = form.save(commit=False)
        if written_new_record(
            form,
            lambda: services.member_transfer_in(
                member=member,
                unit=data["unit"],
                origin=data["origin"],
                effective_date=data["effective_date"],
                decision=form.decision(),
                probationary=data["probationary"],
                user=request.user,
            ),
        ):
            return saved(request, member, _("Đã ghi chuyển đến cho %(name)s.") % {"name": member})
    return form_page(request, "entry_transfer_in.html", form)


# --- the record --------------------------------------------------------------------------


def _update_record(form: forms.MemberEditForm) -> Member | None:
    """Save the record's fields unless someone else saved the record since the form was loaded.

    Optimistic locking: the form carries the ``version`` it was loaded with. Under a row lock,
    the stored version must still be that one, and the save makes it one more. Only the record's
    own fields are written, onto the freshly locked row, so that a status or cell written
    meanwhile by an event service is neither overwritten nor recorded stale in the history.
    Returns None when saved, else the stored row that won (for the refusal).
    """
    edited = form.instance
    with transaction.atomic():
        current = Member.objects.select_for_update().get(pk=edited.pk)
        if current.version != form.cleaned_data["version"]:
            return current
        for name in rules.RECORD_FIELDS:
            setattr(current, name, getattr(edited, name))
        current.version += 1
        services.member_record_save(
            member=current, update_fields=[*rules.RECORD_FIELDS, "version", "updated_at"]
        )
    return None


def _conflict(request: HttpRequest, member: Member, current: Member):
    """The user's input again, now carrying the stored version (so that saving after a review
    goes through), with the refusal and the stored values that differ from what they typed."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = forms.MemberEditForm(data, instance=copy.copy(member))
    form.is_valid()
    change = current.history.filter(version=current.version).order_by("history_date").first()
    when = timezone.localtime(change.history_date if change else current.updated_at)
    who = change.history_user if change and change.history_user else None
    form.add_error(
        None,
        _(
            "Hồ sơ đã được %(who)s sửa lúc %(time)s ngày %(day)s; hãy xem lại thay đổi "
            "của họ (bảng bên dưới) rồi lưu lại."
        )
        % {
            "who": (who.get_full_name() or who.get_username()) if who else _("người khác"),
            "time": date_format(when, "H:i"),
            "day": date_format(when, "d/m/Y"),
        },
    )
    differences = [
        (form[name].label, _shown(current, name))
        for name in rules.RECORD_FIELDS
        if name in form.cleaned_data and getattr(current, name) != form.cleaned_data[name]
    ]
    return form, differences


def _shown(member: Member, name: str) -> str:
    value = getattr(member, name)
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime.date):
        return dmy(value)
    display = getattr(member, f"get_{name}_display", None)
    return str(display() if display else value) or "—"


@login_required
@require_http_methods(WRITE_METHODS)
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the record's own fields (not its status, cell or events)."""
    member = get_member(request.user, pk, for_edit=True)
    # The form works on a copy: the page's summary keeps showing the stored record.
    form = forms.MemberEditForm(bound(request), instance=copy.copy(member))
    differences = []
    if request.method == "POST" and form.is_valid():
        try:
            current = _update_record(form)
        except IntegrityError:
            after_race(form)
        except OperationalError as error:
            show_busy(form, error)
        else:
            if current is None:
                name = form.instance.full_name
                return saved(request, member, _("Đã lưu hồ sơ của %(name)s.") % {"name": name})
            form, differences = _conflict(request, member, current)
    return form_page(request, "entry_edit.html", form, member, differences=differences)


# --- events of an existing member -----------------------------------------------------------


@login_required
@require_safe
def recognition_due(request: HttpRequest) -> HttpResponse:
    """Probationary members in the user's cells, those past the deadline first."""
    require_editor(request.user)
    today = timezone.localdate()
    members = selectors.recognition_list(request.user, today)
    return render(
        request,
        "members/entry_recognition_due.html",
        {"members": members, "today": today, "working_days": rules.RECOGNITION_WORKING_DAYS},
    )


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_recognize(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    earliest = services.probation_ends(member) if member.status == Status.PROBATIONARY else None
    form = forms.RecognizeForm(bound(request), user=request.user, probation_end=earliest)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if written(
            form,
            lambda: services.member_recognize(
                member=member,
                effective_date=data["effective_date"],
                decision=form.decision(),
                resolution_date=data.get("resolution_date"),
                user=request.user,
            ),
        ):
            return saved(
                request, member, _("Đã ghi công nhận chính thức %(name)s.") % {"name": member}
            )
    today = timezone.localdate()
    resolution = form.cleaned_data.get("resolution_date") if form.is_bound else None
    deadlines = services.recognition_deadlines(earliest, resolution) if earliest else {}
    return form_page(
        request,
        "entry_recognize.html",
        form,
        member,
        earliest=earliest,
        today=today,
        cell_deadline=deadlines.get("cell"),
        committee_deadline=deadlines.get("committee"),
    )
