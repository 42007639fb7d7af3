"""The steps every data-entry page shares: who may write, calling the service once (a
form posted twice records once), showing its refusal next to the field, a busy database."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from branches.access import may_edit_anything
from thotnot_members.busy import database_busy

from ..models import Event, Member
from ..services.submissions import AlreadySaved, claim_token

WRITE_METHODS = ["GET", "POST"]


# --- shared steps ----------------------------------------------------------------------------


def require_editor(user) -> None:
    """Pages without an object: readers (cell secretaries, leaders) may not enter anything."""
    if not may_edit_anything(user):
        raise PermissionDenied


def show_refusal(form: BaseForm, error: ValidationError, aliases: dict | None = None) -> None:
    """Put a service's refusal on the form: next to the field it names when the form has that
    field (``aliases`` maps a service's name to the form's), else at the top of the form."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def written(form: BaseForm, write: Callable[[], object], aliases: dict | None = None) -> bool:
    """Call the service; False (and the refusal on the form) if it refused or the database
    was too busy to take the write. A form carrying a one-time token claims it with the write
    (``AlreadySaved`` if it was posted before: ``once`` answers it)."""
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
        show_refusal(form, error, aliases)
        return False
    except OperationalError as error:
        show_busy(form, error)
        return False
    return True


class _TriedOnly(Exception):
    """Rolls back the write that ``would_write`` tried."""


def would_write(form: BaseForm, write: Callable[[], object], aliases: dict | None = None) -> bool:
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
        show_refusal(form, error, aliases)
    except OperationalError as error:
        show_busy(form, error)
    return False


def show_busy(form: BaseForm, error: OperationalError) -> None:
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


def written_new_record(form: BaseForm, write: Callable[[], object]) -> bool:
    """As ``written``, for services that create a member record."""
    try:
        return written(form, write)
    except IntegrityError:
        after_race(form)
        return False


def after_race(form: BaseForm) -> None:
    """A citizen ID or party card number saved by someone else between the form's check and
    the write broke the database's constraint: validate again, so that the form's own check
    now names the field."""
    form.full_clean()
    if form.is_valid():
        form.add_error(None, _("Hồ sơ chưa được lưu vì trùng với một hồ sơ vừa được lưu."))


def once(view):
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


def saved(request: HttpRequest, member: Member, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("members:member_detail", pk=member.pk)


def form_page(request, template: str, form, member: Member | None = None, **context):
    return render(request, f"members/{template}", {"form": form, "member": member, **context})


def bound(request: HttpRequest):
    return request.POST if request.method == "POST" else None
