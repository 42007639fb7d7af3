"""Putting an event right: the cancellation page (``services.event_cancel``).

Offered on the member's timeline to the offices that may edit the member; the form carries
the record's version, so that a change saved meanwhile by someone else is not overridden."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import forms, services
from ..access import get_member
from .steps import WRITE_METHODS, bound, form_page, saved, written


@login_required
@require_http_methods(WRITE_METHODS)
def event_cancel(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    member = get_member(request.user, pk, for_edit=True)
    event = member.events.select_related("unit").filter(pk=event_pk).first()
    if event is None:
        raise Http404
    form = forms.CancelEventForm(bound(request), initial={"version": member.version})
    if event.cancelled_at is not None and request.method == "POST":
        # A second post of the same form (a double click): nothing more to record.
        return saved(request, member, _already())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if written(
            form,
            lambda: services.event_cancel(
                event=event,
                reason=data["reason"],
                decision=data["decision"],
                version=data["version"],
                user=request.user,
            ),
        ):
            return saved(
                request,
                member,
                _("Đã hủy “%(kind)s” ngày %(day)s của %(name)s.")
                % {
                    "kind": event.get_kind_display(),
                    "day": event.effective_date.strftime("%d/%m/%Y"),
                    "name": member,
                },
            )
    return form_page(request, "entry_cancel_event.html", form, member, event=event)


def _already() -> str:
    return _("Sự kiện này đã được hủy trước đó; không ghi thêm gì.")
