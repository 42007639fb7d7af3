"""The decision forms on an existing member: transfer, removal, death, exemption, restoration,
re-admission, each calling its one service (after the check-and-confirm step where the member's
status or cell changes)."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import forms, services
from ..access import get_member
from ..models import Event
from . import confirm
from .steps import WRITE_METHODS, bound, form_page, once, saved, would_write, written


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Transfer within the system, out of it, or temporarily: one page, three services."""
    member = get_member(request.user, pk, for_edit=True)
    form = forms.TransferForm(bound(request), user=request.user)
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
        if not confirm.is_confirmed(request) and not would_write(form, write):
            return form_page(request, "entry_transfer.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.transfer_lines(member, data, form),
            heading=_("Chuyển sinh hoạt đảng"),
            template="entry_transfer.html",
        ):
            return page
        if written(form, write):
            text = (
                _("Đã ghi chuyển sinh hoạt tạm thời cho %(name)s.")
                if mode == form.TEMPORARY
                else _("Đã ghi chuyển sinh hoạt đảng cho %(name)s.")
            )
            return saved(request, member, text % {"name": member})
    return form_page(request, "entry_transfer.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.RemoveForm(bound(request), user=request.user)
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

        if not confirm.is_confirmed(request) and not would_write(form, write):
            return form_page(request, "entry_remove.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.removal_lines(member, data),
            heading=Event.Kind(data["kind"]).label,
            template="entry_remove.html",
        ):
            return page
        if written(
            form,
            write,
        ):
            text = _("Đã ghi “%(kind)s” đối với %(name)s.") % {
                "kind": Event.Kind(data["kind"]).label,
                "name": member,
            }
            return saved(request, member, text)
    return form_page(request, "entry_remove.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_death(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.DeathForm(bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.member_record_death(
                member=member,
                effective_date=data["effective_date"],
                decision=form.decision(),
                user=request.user,
            )

        if not confirm.is_confirmed(request) and not would_write(form, write):
            return form_page(request, "entry_death.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.death_lines(member, data),
            heading=Event.Kind.DEATH.label,
            template="entry_death.html",
        ):
            return page
        if written(
            form,
            write,
        ):
            return saved(request, member, _("Đã ghi %(name)s từ trần.") % {"name": member})
    return form_page(request, "entry_death.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_exempt(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.ExemptForm(bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if written(
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
            return saved(
                request, member, _("Đã ghi miễn sinh hoạt đảng cho %(name)s.") % {"name": member}
            )
    return form_page(request, "entry_exempt.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_restore(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.RestoreForm(
        bound(request), user=request.user, initial={"unit": member.record_unit_id}
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

        if not confirm.is_confirmed(request) and not would_write(form, write):
            return form_page(request, "entry_restore.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.restore_lines(member, data),
            heading=Event.Kind.RESTORATION.label,
            template="entry_restore.html",
        ):
            return page
        if written(
            form,
            write,
        ):
            return saved(
                request, member, _("Đã ghi phục hồi đảng tịch cho %(name)s.") % {"name": member}
            )
    return form_page(request, "entry_restore.html", form, member)


@login_required
@require_http_methods(WRITE_METHODS)
@once
def member_readmit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = forms.ReadmitForm(
        bound(request), user=request.user, initial={"unit": member.record_unit_id}
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

        if not confirm.is_confirmed(request) and not would_write(
            form, write, aliases={"effective_date": "decision_date"}
        ):
            return form_page(request, "entry_readmit.html", form, member)
        if page := confirm.confirm_first(
            request,
            member,
            form,
            confirm.readmit_lines(member, data),
            heading=Event.Kind.READMISSION.label,
            template="entry_readmit.html",
        ):
            return page
        if written(
            form,
            write,
            # The re-admission takes effect on its decision's date.
            aliases={"effective_date": "decision_date"},
        ):
            return saved(request, member, _("Đã ghi kết nạp lại %(name)s.") % {"name": member})
    return form_page(request, "entry_readmit.html", form, member)
