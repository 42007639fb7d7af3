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
from collections.abc import Callable
from functools import partial, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from branches.access import may_edit_anything
from common.dates import dmy
from thotnot_members.busy import database_busy

from .. import forms, rules, selectors, services
from ..access import get_member
from ..models import Event, Member, Status
from ..services.submissions import AlreadySaved, claim_token
from . import confirm

WRITE_METHODS = ["GET", "POST"]


# --- shared steps ----------------------------------------------------------------------------


def _require_editor(user) -> None:
    """Pages without an object: readers (cell secretaries, leaders) may not enter anything."""
    if not may_edit_anything(user):
        raise PermissionDenied


def _show_refusal(form: BaseForm, error: ValidationError, aliases: dict | None = None) -> None:
    """Put a service's refusal on the form: next to the field it names when the form has that
    field (``aliases`` maps a service's name to the form's), else at the top of the form."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _written(form: BaseForm, write: Callable[[], object], aliases: dict | None = None) -> bool:
    """Call the service; False (and the refusal on the form) if it refused or the database
    was too busy to take the write. A form carrying a one-time token claims it with the write
    (``AlreadySaved`` if it was posted before: ``_once`` answers it)."""
    token = getattr(form, "cleaned_data", {}).get("form_token")
    try:
        if token is None:
            write()
        else:
            with transaction.atomic():
                submission = claim_token(token=token, user=getattr(form, "user", None))
                event = write()
                if isinstance(event, Event):
                    submission.member_id = event.member_id
                    submission.save(update_fields=["member"])
    except ValidationError as error:
        _show_refusal(form, error, aliases)
        return False
    except OperationalError as error:
        _show_busy(form, error)
        return False
    return True


class _TriedOnly(Exception):
    """Rolls back the write that ``_would_write`` tried."""


def _would_write(form: BaseForm, write: Callable[[], object], aliases: dict | None = None) -> bool:
    """Try the write and roll it back: True if the service would accept it; else False, with
    the refusal on the form. The confirm page then only shows what will be saved, and a
    refusal stands next to its field at once, not after the confirmation."""
    try:
        with transaction.atomic():
            write()
            raise _TriedOnly
    except _TriedOnly:
        return True
    except ValidationError as error:
        _show_refusal(form, error, aliases)
    except OperationalError as error:
        _show_busy(form, error)
    return False


def _show_busy(form: BaseForm, error: OperationalError) -> None:
    """Say at the top of the form that the database was too busy to take the write (nothing
    was written); re-raise any other database failure."""
    if not database_busy(error):
        raise error
    form.database_busy = True  # nothing to correct: the form leaves out its "fix the red lines"
    form.add_error(
        None,
        _(
            "Chưa lưu: hệ thống đang bận ghi dữ liệu khác (chẳng hạn một danh sách nhập từ "
            "Excel). Những gì bạn đã nhập vẫn còn dưới đây; hãy bấm lưu lại sau ít phút."
        ),
    )


def _written_new_record(form: BaseForm, write: Callable[[], object]) -> bool:
    """As ``_written``, for services that create a member record."""
    try:
        return _written(form, write)
    except IntegrityError:
        _after_race(form)
        return False


def _after_race(form: BaseForm) -> None:
    """A citizen ID or party card number saved by someone else between the form's check and
    the write broke the database's constraint: validate again, so that the form's own check
    now names the field."""
    form.full_clean()
    if form.is_valid():
        form.add_error(None, _("Hồ sơ chưa được lưu vì trùng với một hồ sơ vừa được lưu."))


def _once(view):
    """A form posted a second time (a double click, a resent page): nothing more is recorded,
    and the clerk is told it was already saved."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AlreadySaved as saved:
            messages.info(request, _("Biểu mẫu này đã được lưu trước đó; không ghi thêm lần nữa."))
            if saved.member_id is not None:
                return redirect("members:member_detail", pk=saved.member_id)
            return redirect("home")

    return wrapped


def _done(request: HttpRequest, member: Member, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("members:member_detail", pk=member.pk)


def _page(request, template: str, form, member: Member | None = None, **context):
    return render(request, f"members/{template}", {"form": form, "member": member, **context})


def _bound(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# --- new records ---------------------------------------------------------------------------


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_admit(request: HttpRequest) -> HttpResponse:
    """A new person's record and their admission to a cell, on probation."""
    _require_editor(request.user)
    form = forms.MemberAdmitForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = form.save(commit=False)
        if _written_new_record(
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
            return _done(request, member, _("Đã ghi kết nạp %(name)s.") % {"name": member})
    return _page(request, "entry_admit.html", form)


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_transfer_in(request: HttpRequest) -> HttpResponse:
    """A member arriving from outside the system: a new record on a cell's roll."""
    _require_editor(request.user)
    form = forms.MemberTransferInForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = form.save(commit=False)
        if _written_new_record(
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
            return _done(request, member, _("Đã ghi chuyển đến cho %(name)s.") % {"name": member})
    return _page(request, "entry_transfer_in.html", form)


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
    form = forms.MemberEditForm(_bound(request), instance=copy.copy(member))
    differences = []
    if request.method == "POST" and form.is_valid():
        try:
            current = _update_record(form)
        except IntegrityError:
            _after_race(form)
        except OperationalError as error:
            _show_busy(form, error)
        else:
            if current is None:
                name = form.instance.full_name
                return _done(request, member, _("Đã lưu hồ sơ của %(name)s.") % {"name": name})
            form, differences = _conflict(request, member, current)
    return _page(request, "entry_edit.html", form, member, differences=differences)


# --- events of an existing member -----------------------------------------------------------


@login_required
@require_safe
def recognition_due(request: HttpRequest) -> HttpResponse:
    """Probationary members in the user's cells, those past the deadline first."""
    _require_editor(request.user)
    today = timezone.localdate()
    members = selectors.recognition_list(request.user, today)
    return render(
        request,
        "members/entry_recognition_due.html",
        {"members": members, "today": today, "working_days": rules.RECOGNITION_WORKING_DAYS},
    )


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_recognize(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    earliest = services.probation_ends(member) if member.status == Status.PROBATIONARY else None
    form = forms.RecognizeForm(_bound(request), user=request.user, probation_end=earliest)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _written(
            form,
            lambda: services.member_recognize(
                member=member,
                effective_date=data["effective_date"],
                decision=form.decision(),
                resolution_date=data.get("resolution_date"),
                user=request.user,
            ),
        ):
            return _done(
                request, member, _("Đã ghi công nhận chính thức %(name)s.") % {"name": member}
            )
    today = timezone.localdate()
    resolution = form.cleaned_data.get("resolution_date") if form.is_bound else None
    deadlines = services.recognition_deadlines(earliest, resolution) if earliest else {}
    return _page(
        request,
        "entry_recognize.html",
        form,
        member,
        earliest=earliest,
        today=today,
        cell_deadline=deadlines.get("cell"),
        committee_deadline=deadlines.get("committee"),
    )


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Transfer within the system, out of it, or temporarily: one page, three services."""
    member = get_member(request.user, pk, for_edit=True)
    form = forms.TransferForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "member": member,
            "effective_date": data["effective_date"],
            "decision": form.decision(),
            "user": request.user,
        }
        mode = data["mode"]
        if mode == form.WITHIN:
            write = partial(services.member_transfer, to_unit=data["to_unit"], **common)
        elif mode == form.OUT:
            write = partial(services.member_transfer_out, destination=data["destination"], **common)
        else:
            write = partial(
                services.member_temporary_transfer,
                to_unit=data["to_unit"],
                destination=data["destination"],
                purpose=data["purpose"],
                term_end=data["term_end"],
                **common,
            )
        if not confirm.is_confirmed(request) and not _would_write(form, write):
            return _page(request, "entry_transfer.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.transfer_lines(member, data, form),
            heading=_("Chuyển sinh hoạt đảng"),
            template="entry_transfer.html",
        ):
            return page
        if _written(form, write):
            text = (
                _("Đã ghi chuyển sinh hoạt tạm thời cho %(name)s.")
                if mode == form.TEMPORARY
                else _("Đã ghi chuyển sinh hoạt đảng cho %(name)s.")
            )
            return _done(request, member, text % {"name": member})
    return _page(request, "entry_transfer.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.RemoveForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.member_remove(
                member=member,
                kind=data["kind"],
                reason=data["reason"],
                effective_date=data["effective_date"],
                decision=form.decision(),
                standards_kept=data["standards_kept"],
                user=request.user,
            )

        if not confirm.is_confirmed(request) and not _would_write(form, write):
            return _page(request, "entry_remove.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.removal_lines(member, data),
            heading=Event.Kind(data["kind"]).label,
            template="entry_remove.html",
        ):
            return page
        if _written(
            form,
            write,
        ):
            text = _("Đã ghi “%(kind)s” đối với %(name)s.") % {
                "kind": Event.Kind(data["kind"]).label,
                "name": member,
            }
            return _done(request, member, text)
    return _page(request, "entry_remove.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_death(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.DeathForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.member_record_death(
                member=member,
                effective_date=data["effective_date"],
                decision=form.decision(),
                user=request.user,
            )

        if not confirm.is_confirmed(request) and not _would_write(form, write):
            return _page(request, "entry_death.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.death_lines(member, data),
            heading=Event.Kind.DEATH.label,
            template="entry_death.html",
        ):
            return page
        if _written(
            form,
            write,
        ):
            return _done(request, member, _("Đã ghi %(name)s từ trần.") % {"name": member})
    return _page(request, "entry_death.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_exempt(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.ExemptForm(_bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _written(
            form,
            lambda: services.member_exempt(
                member=member,
                effective_date=data["effective_date"],
                decision=form.decision(),
                poor_health=data["poor_health"],
                on_request=data["on_request"],
                user=request.user,
            ),
        ):
            return _done(
                request, member, _("Đã ghi miễn sinh hoạt đảng cho %(name)s.") % {"name": member}
            )
    return _page(request, "entry_exempt.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_restore(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.RestoreForm(
        _bound(request), user=request.user, initial={"unit": member.record_unit_id}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.member_restore(
                member=member,
                unit=data["unit"],
                effective_date=data["effective_date"],
                decision=form.decision(),
                user=request.user,
            )

        if not confirm.is_confirmed(request) and not _would_write(form, write):
            return _page(request, "entry_restore.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.restore_lines(member, data),
            heading=Event.Kind.RESTORATION.label,
            template="entry_restore.html",
        ):
            return page
        if _written(
            form,
            write,
        ):
            return _done(
                request, member, _("Đã ghi phục hồi đảng tịch cho %(name)s.") % {"name": member}
            )
    return _page(request, "entry_restore.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@_once
def member_readmit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.ReadmitForm(
        _bound(request), user=request.user, initial={"unit": member.record_unit_id}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.member_readmit(
                member=member,
                unit=data["unit"],
                decision=form.decision(),
                ceremony_date=data["ceremony_date"],
                sponsors=data["sponsors"],
                consent=form.consent(),
                record_cleared_on=data["record_cleared_on"],
                user=request.user,
            )

        if not confirm.is_confirmed(request) and not _would_write(
            form, write, aliases={"effective_date": "decision_date"}
        ):
            return _page(request, "entry_readmit.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.readmit_lines(member, data),
            heading=Event.Kind.READMISSION.label,
            template="entry_readmit.html",
        ):
            return page
        if _written(
            form,
            write,
            # The re-admission takes effect on its decision's date.
            aliases={"effective_date": "decision_date"},
        ):
            return _done(request, member, _("Đã ghi kết nạp lại %(name)s.") % {"name": member})
    return _page(request, "entry_readmit.html", form, member)
