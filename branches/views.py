"""Unit pages: the tree as it is today, and one unit with its members and figures. GET only."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from members.models import ACTIVE_STATUSES, Member
from members.text import name_sort_key
from reports.figures import unit_figures

from .access import get_unit
from .models import Unit, UnitParent

PAGE_SIZE = 50
DEFAULT_FROM = datetime.date(2020, 1, 1)
EARLIEST = datetime.date(1930, 1, 1)


def _active_members_of(unit_ref) -> Coalesce:
    """The number of members now on the roll of the unit ``unit_ref`` (an OuterRef)."""
    counted = (
        Member.objects.filter(unit=unit_ref, status__in=ACTIVE_STATUSES)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _sort_key(unit: Unit) -> list[str]:
    """Unit names in Vietnamese alphabetical order, word by word from the first word (a
    person's name sorts by the given name first; a unit's name does not)."""
    return [name_sort_key(word) for word in unit.name.split()]


# --- the tree ----------------------------------------------------------------------------


@login_required
@require_safe
def unit_tree(request):
    """The visible units as they stand today. Two queries: the units with their members now,
    and today's parent links of those units; the tree and subtree totals are built here."""
    today = timezone.localdate()
    units = {
        u.pk: u
        for u in Unit.objects.visible_to(request.user)
        .select_related("successor")
        .annotate(own_members=_active_members_of(OuterRef("pk")))
    }
    links = (
        UnitParent.objects.valid_on(today)
        .filter(unit__in=Unit.objects.visible_to(request.user))
        .select_related("parent")
    )
    parent_of = {link.unit_id: link.parent for link in links}

    current = {pk: u for pk, u in units.items() if u.exists_on(today)}
    children = defaultdict(list)
    roots = []
    for unit in current.values():
        parent = parent_of.get(unit.pk)
        unit.outside_parent = None
        if parent is not None and parent.pk in current:
            children[parent.pk].append(unit)
        else:
            # A root of what the user sees: a top unit, a role's unit, or a unit that moved
            # under a unit outside the user's scope (named, so that the reader knows).
            unit.outside_parent = parent
            roots.append(unit)

    def total(unit: Unit) -> int:
        unit.children_today = sorted(children[unit.pk], key=_sort_key)
        unit.subtree_members = unit.own_members + sum(total(c) for c in unit.children_today)
        return unit.subtree_members

    # Roots under the same outside unit are shown together, under that unit's name.
    roots.sort(
        key=lambda u: (
            u.outside_parent is not None,
            _sort_key(u.outside_parent) if u.outside_parent else [],
            _sort_key(u),
        )
    )
    for root in roots:
        total(root)

    def walk(unit: Unit, depth: int):
        yield {"unit": unit, "depth": depth, "open": bool(unit.children_today)}
        for child in unit.children_today:
            yield from walk(child, depth + 1)
        if unit.children_today:
            yield {"close": True}

    groups = []
    for root in roots:
        if not groups or groups[-1]["parent"] != root.outside_parent:
            groups.append({"parent": root.outside_parent, "items": []})
        groups[-1]["items"].extend(walk(root, 0))
    dissolved = sorted(
        (u for u in units.values() if u.dissolved_on is not None and u.dissolved_on <= today),
        key=lambda u: (u.dissolved_on, _sort_key(u)),
    )
    return render(
        request,
        "branches/unit_tree.html",
        {
            "today": today,
            "groups": groups,
            "total_members": sum(r.subtree_members for r in roots),
            "dissolved": dissolved,
        },
    )


# --- one unit ----------------------------------------------------------------------------


class PeriodForm(forms.Form):
    # Named ``from`` and ``to`` in the address (``from`` is a Python keyword): see add_prefix.
    start = forms.DateField(label=_("Từ ngày"), required=False)
    end = forms.DateField(label=_("Đến ngày"), required=False)

    def add_prefix(self, field_name: str) -> str:
        return {"start": "from", "end": "to"}.get(field_name, field_name)

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        for field in self.fields.values():
            field.widget.attrs.update({"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})

    def clean(self):
        data = super().clean()
        start = data.get("start") or DEFAULT_FROM
        end = data.get("end") or self.today
        if self.errors:
            return data
        if start < EARLIEST or end < EARLIEST:
            raise forms.ValidationError(_("Chỉ xem được số liệu từ năm 1930 trở đi."))
        if start > end:
            raise forms.ValidationError(_("“Từ ngày” phải trước hoặc bằng “Đến ngày”."))
        data["start"], data["end"] = start, end
        return data


def _visible(user, ref: str) -> Exists:
    return Exists(Unit.objects.visible_to(user).filter(pk=OuterRef(ref)))


@login_required
@require_safe
def unit_detail(request, code: str):
    unit = get_unit(request.user, code)
    today = timezone.localdate()

    successor = None
    if unit.successor_id is not None:
        successor = (
            Unit.objects.filter(pk=unit.successor_id)
            .annotate(visible=_visible(request.user, "pk"))
            .first()
        )
    parent_links = list(
        UnitParent.objects.filter(unit=unit)
        .select_related("parent")
        .annotate(parent_visible=_visible(request.user, "parent"))
        .order_by("valid_from")
    )
    # Children today, each with its members now (its whole subtree's, today's tree).
    subtree_members = (
        # One filter() call: the conditions must hold for one and the same ancestry row.
        Member.objects.filter(
            Q(closure__valid_to__isnull=True) | Q(closure__valid_to__gt=today),
            status__in=ACTIVE_STATUSES,
            closure__ancestor=OuterRef("unit"),
            closure__valid_from__lte=today,
        )
        .order_by()
        .values("closure__ancestor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    child_links = sorted(
        UnitParent.objects.valid_on(today)
        .filter(parent=unit)
        .select_related("unit")
        .annotate(
            members_now=Coalesce(Subquery(subtree_members, output_field=IntegerField()), Value(0)),
            unit_visible=_visible(request.user, "unit"),
        ),
        key=lambda link: _sort_key(link.unit),
    )

    page = None
    if unit.holds_members:
        roll = Member.objects.filter(unit=unit).active().vietnamese_order()
        page = Paginator(roll, PAGE_SIZE).get_page(request.GET.get("page"))

    # The default period is shown in the boxes, so that the reader sees what is counted.
    form = PeriodForm(
        {
            "from": request.GET.get("from") or DEFAULT_FROM.strftime("%d/%m/%Y"),
            "to": request.GET.get("to") or today.strftime("%d/%m/%Y"),
        },
        today=today,
    )
    figures = None
    if form.is_valid():
        figures = unit_figures(unit, form.cleaned_data["start"], form.cleaned_data["end"])
    return render(
        request,
        "branches/unit_detail.html",
        {
            "unit": unit,
            "today": today,
            "successor": successor,
            "parent_links": parent_links,
            "child_links": child_links,
            "page": page,
            "form": form,
            "figures": figures,
        },
    )
