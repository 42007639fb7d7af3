"""The check-and-confirm step before an event that changes a member's status or cell
(removal, death, transfer, re-admission, restoration).

A valid first post shows what will be recorded and what it changes, in words, with the typed
values carried in hidden inputs; only the post from that page (``confirmed``) saves. Going back
keeps everything typed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.dates import dmy

from ..models import Event

CONFIRMED = "confirmed"


def is_confirmed(request: HttpRequest) -> bool:
    """The post comes from the confirm page."""
    return request.POST.get(CONFIRMED) == "1"


def confirm_first(
    request: HttpRequest, member, form, lines: list[str], *, heading: str, template: str
) -> HttpResponse | None:
    """The confirm page for a valid ``form`` not yet confirmed; None once it is. "Back" from
    the confirm page shows the form page (``template``) again, everything typed kept."""
    if is_confirmed(request):
        return None
    if request.POST.get("back"):
        return render(request, f"members/{template}", {"form": form, "member": member})
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    return render(
        request,
        "members/entry_confirm.html",
        {
            "member": member,
            "form": form,
            "lines": lines,
            "heading": heading,
            "carried": carried,
            "confirm_field": CONFIRMED,
        },
    )


# --- what each kind will record and change, in words -------------------------------------------


def _cell(member) -> str:
    unit = member.unit or member.record_unit
    return unit.name if unit is not None else "—"


def _decision(data) -> list[str]:
    if not data.get("decision_no"):
        return []
    return [
        _("Theo quyết định số %(no)s ngày %(day)s%(body)s.")
        % {
            "no": data["decision_no"],
            "day": dmy(data["decision_date"]) if data.get("decision_date") else "—",
            "body": f", {data['issuing_body']}" if data.get("issuing_body") else "",
        }
    ]


def _directive(data) -> list[str]:
    directive = data.get("directive")
    if directive is None:
        return [_("Không tính là thực hiện theo chỉ thị nào.")]
    return [_("Tính là thực hiện theo %(code)s.") % {"code": directive.code}]


def removal_lines(member, data) -> list[str]:
    return [
        _("%(name)s sẽ không còn trong danh sách của %(unit)s từ ngày %(day)s.")
        % {"name": member.full_name, "unit": _cell(member), "day": dmy(data["effective_date"])},
        _("Ghi “%(kind)s”, lý do: %(reason)s; trạng thái thành “Đã ra khỏi Đảng”.")
        % {
            "kind": Event.Kind(data["kind"]).label,
            "reason": Event.Reason(data["reason"]).label,
        },
        *_decision(data),
        *_directive(data),
    ]


def death_lines(member, data) -> list[str]:
    return [
        _("%(name)s sẽ được ghi từ trần ngày %(day)s và không còn trong danh sách của %(unit)s.")
        % {"name": member.full_name, "day": dmy(data["effective_date"]), "unit": _cell(member)},
        *_decision(data),
    ]


def transfer_lines(member, data, form) -> list[str]:
    values = {
        "name": member.full_name,
        "unit": _cell(member),
        "day": dmy(data["effective_date"]),
        "to": data["to_unit"].name if data.get("to_unit") else data.get("destination") or "—",
    }
    mode = data["mode"]
    if mode == form.WITHIN:
        line = _("%(name)s chuyển từ danh sách của %(unit)s sang %(to)s từ ngày %(day)s.")
    elif mode == form.OUT:
        line = _(
            "%(name)s chuyển ra ngoài hệ thống (%(to)s) từ ngày %(day)s và không còn trong "
            "danh sách của %(unit)s."
        )
    else:
        line = _(
            "%(name)s sinh hoạt tạm thời tại %(to)s từ ngày %(day)s, vẫn ở trong danh sách "
            "của %(unit)s."
        )
    return [line % values, *_decision(data)]


def restore_lines(member, data) -> list[str]:
    return [
        _("%(name)s được phục hồi đảng tịch và trở lại danh sách của %(unit)s từ ngày %(day)s.")
        % {
            "name": member.full_name,
            "unit": data["unit"].name,
            "day": dmy(data["effective_date"]),
        },
        *_decision(data),
    ]


def readmit_lines(member, data) -> list[str]:
    return [
        _(
            "%(name)s được kết nạp lại vào %(unit)s theo quyết định ngày %(day)s (lễ kết nạp "
            "ngày %(ceremony)s) và là đảng viên dự bị 12 tháng."
        )
        % {
            "name": member.full_name,
            "unit": data["unit"].name,
            "day": dmy(data["decision_date"]),
            "ceremony": dmy(data["ceremony_date"]),
        },
        *_decision(data),
        *_directive(data),
    ]
