"""The header's menu: every job a role has, one row each.

The hook for pages to come: a new job (the admission pipeline, the screening of members)
adds its row here, and every page's header lists it for the roles it names; the crawl test
(``tests/test_menu_reach.py``) then checks the page is reachable from the home page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    url_name: str
    label: str
    editors_only: bool = False  # the board and the grassroots offices (``may_edit_anything``)


MENU = (
    MenuItem("home", _("Trang chính")),
    MenuItem("branches:unit_tree", _("Đơn vị")),
    MenuItem("members:member_list", _("Đảng viên")),
    MenuItem("report_index", _("Báo cáo")),
    MenuItem("members:recognition_due", _("Chờ công nhận chính thức"), editors_only=True),
    MenuItem("members:member_admit", _("Kết nạp"), editors_only=True),
    MenuItem("members:member_transfer_in", _("Tiếp nhận chuyển đến"), editors_only=True),
    MenuItem("members:roster_import_list", _("Nhập từ Excel"), editors_only=True),
)


def menu_for(request, may_edit: bool) -> list[dict]:
    """The menu's links for this user, the current page's marked."""
    here = request.path
    items = []
    for item in MENU:
        if item.editors_only and not may_edit:
            continue
        url = reverse(item.url_name)
        current = here == url if url == "/" else here.startswith(url)
        items.append({"url": url, "label": item.label, "current": current})
    # The most specific match only ("/members/" is not current on "/members/new/").
    matches = [i for i in items if i["current"]]
    longest = max((len(m["url"]) for m in matches), default=0)
    for item in matches:
        item["current"] = len(item["url"]) == longest
    return items


def menu(request):
    """Context processor: ``menu``, computed only when a template reads it."""
    from branches.access import may_edit_anything

    def items():
        may_edit = getattr(request, "may_edit_anything", None)  # branches' context processor
        if may_edit is None:
            may_edit = may_edit_anything(request.user)
        return menu_for(request, bool(may_edit))

    return {"menu": SimpleLazyObject(items)}
