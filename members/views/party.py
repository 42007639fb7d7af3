"""Issue 24's pages (R16-R18, R25): ending an exemption or a temporary transfer, the party
card, the two steps of a transfer between offices, and the lists of what is overdue or on its
way. Thin, as ``entry``: the form, then the one service, its refusal put back on the form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from branches.models import Unit

from .. import party_forms, party_selectors, rules, services
from ..access import get_member
from ..models import OfficeTransfer
from .steps import WRITE_METHODS, bound, form_page, saved, written


@login_required
@require_http_methods(WRITE_METHODS)
def exemption_end(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = party_forms.PeriodEndForm(bound(request))
    if (
        request.method == "POST"
        and form.is_valid()
        and written(
            form,
            lambda: services.member_exemption_end(
                member=member, ended_on=form.cleaned_data["ended_on"], user=request.user
            ),
        )
    ):
        return saved(request, member, _("Đã ghi %(name)s trở lại sinh hoạt.") % {"name": member})
    heading = _("Trở lại sinh hoạt đảng: %(name)s") % {"name": member}
    return form_page(request, "party_form.html", form, member, heading=heading)


@login_required
@require_http_methods(WRITE_METHODS)
def temporary_return(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = party_forms.PeriodEndForm(bound(request))
    form.fields["ended_on"].label = _("Ngày trở về sinh hoạt ở chi bộ (dd/mm/yyyy)")
    if (
        request.method == "POST"
        and form.is_valid()
        and written(
            form,
            lambda: services.member_temporary_return(
                member=member, ended_on=form.cleaned_data["ended_on"], user=request.user
            ),
        )
    ):
        return saved(request, member, _("Đã ghi %(name)s trở về chi bộ.") % {"name": member})
    heading = _("Trở về sau sinh hoạt tạm thời: %(name)s") % {"name": member}
    return form_page(request, "party_form.html", form, member, heading=heading)


@login_required
@require_http_methods(WRITE_METHODS)
def card_record(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = party_forms.CardForm(bound(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if written(
            form,
            lambda: services.member_card_record(
                member=member,
                kind=data["kind"],
                number=data["number"],
                issued_on=data["issued_on"],
                decision_no=data["decision_no"],
                notes=data["notes"],
                user=request.user,
            ),
        ):
            return saved(
                request, member, _("Đã ghi thẻ đảng viên cho %(name)s.") % {"name": member}
            )
    heading = _("Thẻ đảng viên: %(name)s") % {"name": member}
    return form_page(request, "party_form.html", form, member, heading=heading)


@login_required
@require_http_methods(WRITE_METHODS)
def transfer_send(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    form = party_forms.TransferSendForm(bound(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if written(
            form,
            lambda: services.member_transfer_send(
                member=member,
                to_unit=data["to_unit"],
                sent_on=data["effective_date"],
                decision=form.decision(),
                user=request.user,
            ),
            aliases={"sent_on": "effective_date"},
        ):
            return saved(
                request,
                member,
                _("Đã ghi giới thiệu chuyển sinh hoạt cho %(name)s; chờ nơi đến tiếp nhận.")
                % {"name": member},
            )
    heading = _("Giới thiệu chuyển sinh hoạt đến cấp ủy khác: %(name)s") % {"name": member}
    return form_page(request, "party_form.html", form, member, heading=heading)


@login_required
@require_http_methods(WRITE_METHODS)
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving office records the arrival: the member's record is not yet theirs, so
    the transfer is found among those bound for a cell they may edit."""
    transfer = (
        OfficeTransfer.objects.pending()
        .bound_for(request.user)
        .select_related("member", "from_unit", "to_unit")
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise Http404
    form = party_forms.TransferReceiveForm(bound(request), user=request.user)
    if (
        request.method == "POST"
        and form.is_valid()
        and written(
            form,
            lambda: services.member_transfer_receive(
                transfer=transfer,
                received_on=form.cleaned_data["received_on"],
                decision=form.decision(),
                user=request.user,
            ),
        )
    ):
        return saved(
            request,
            transfer.member,
            _("Đã tiếp nhận %(name)s vào %(unit)s.")
            % {"name": transfer.member, "unit": transfer.to_unit},
        )
    heading = _("Tiếp nhận %(name)s từ %(unit)s") % {
        "name": transfer.member,
        "unit": transfer.from_unit,
    }
    return form_page(
        request,
        "party_form.html",
        form,
        None,
        heading=heading,
        transfer=transfer,
        cancel_url=reverse("members:transfers_pending"),
        deadline=rules.arrival_deadline(transfer.sent_on),
    )


@login_required
@require_safe
def transfers_pending(request: HttpRequest) -> HttpResponse:
    """Both sides of the transfers between offices not yet received."""
    incoming = list(party_selectors.transfers_incoming_pending(request.user))
    editable = (
        set(
            Unit.objects.filter(
                pk__in=[t.to_unit_id for t in incoming],
                id__in=Unit.objects.ids_editable_by(request.user),
            ).values_list("pk", flat=True)
        )
        if incoming
        else set()
    )
    for transfer in incoming:
        transfer.deadline = rules.arrival_deadline(transfer.sent_on)
        transfer.may_receive = transfer.to_unit_id in editable
    sent = list(party_selectors.transfers_sent_pending(request.user))
    for transfer in sent:
        transfer.deadline = rules.arrival_deadline(transfer.sent_on)
    return render(
        request,
        "members/transfers_pending.html",
        {"sent": sent, "incoming": incoming, "today": timezone.localdate()},
    )


@login_required
@require_safe
def temporary_overdue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    events = list(party_selectors.temporary_transfers_overdue(request.user, today))
    return render(request, "members/temporary_overdue.html", {"events": events, "today": today})
