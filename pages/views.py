"""The composite pages: the home page, the unit tree and one unit's page. GET only.

Each reads units (``branches``), members (``members``) and figures (``reports``) together, which
is why they live above the three apps: the apps themselves never import upwards. Every page
reads through the scoping helpers (``visible_to``, ``read_for``, ``get_unit``); nothing here
decides who sees what.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from branches.access import get_unit
from branches.models import Role, Unit, UnitParent
from common.dates import dmy
from members.models import ACTIVE_STATUSES, Event, Member
from members.selectors import probationers_due
from reports.figures import unit_figures
from reports.forms import DEFAULT_START, ReportPeriodForm

PAGE_SIZE = 50
RECENT_EVENTS = 10
DUE_SHOWN = 50


# --- home --------------------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    """The user's units with this year's figures, probations due, and the latest events."""
    today = timezone.localdate()
    year_start = datetime.date(today.year, 1, 1)
    roles = Role.objects.read_for(request.user)
    units = []
    for role in roles:
        unit = role.unit
        # A dissolved unit has no members now; its page keeps its figures for past periods.
        figures = unit_figures(unit, year_start, today) if unit.exists_on(today) else None
        units.append({"role": role, "unit": unit, "figures": figures})
    due = probationers_due(request.user, today)
    recent = list(
        Event.objects.visible_to(request.user)
        .select_related("member", "unit")
        .order_by("-effective_date", "-pk")[:RECENT_EVENTS]
    )
    return render(
        request,
        "home.html",
        {
            "today": today,
            "year_start": year_start,
            "units": units,
            "is_superuser": request.user.is_superuser,
            "due": due[:DUE_SHOWN],
            "due_count": len(due),
            "due_overdue": sum(1 for m in due if m.overdue),
            "recent": recent,
        },
    )


# --- the tree ----------------------------------------------------------------------------


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
        unit.children_today = sorted(children[unit.pk], key=lambda u: u.sort_key)
        unit.subtree_members = unit.own_members + sum(total(c) for c in unit.children_today)
        return unit.subtree_members

    # Roots under the same outside unit are shown together, under that unit's name.
    roots.sort(
        key=lambda u: (
            u.outside_parent is not None,
            u.outside_parent.sort_key if u.outside_parent else [],
            u.sort_key,
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
        key=lambda u: (u.dissolved_on, u.sort_key),
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
    # Children today (a dissolved unit's: on its last day), each with its members then.
    as_of = unit.last_day(today)
    subtree_members = (
        # One filter() call: the conditions must hold for one and the same ancestry row.
        Member.objects.filter(
            Q(closure__valid_to__isnull=True) | Q(closure__valid_to__gt=as_of),
            status__in=ACTIVE_STATUSES,
            closure__ancestor=OuterRef("unit"),
            closure__valid_from__lte=as_of,
        )
        .order_by()
        .values("closure__ancestor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    child_links = sorted(
        UnitParent.objects.valid_on(as_of)
        .filter(parent=unit)
        .select_related("unit")
        .annotate(
            members_now=Coalesce(Subquery(subtree_members, output_field=IntegerField()), Value(0)),
            unit_visible=_visible(request.user, "unit"),
        ),
        key=lambda link: link.unit.sort_key,
    )

    page = None
    if unit.holds_members:
        roll = Member.objects.filter(unit=unit).active().vietnamese_order()
        page = Paginator(roll, PAGE_SIZE).get_page(request.GET.get("page"))

    # The reports' period form, its two dates only (no year, no directive: the figures count
    # every event). The default period is bound into the boxes, so that the reader sees what
    # is counted and a start after today is refused rather than stretched.
    form = ReportPeriodForm(
        {
            "from": request.GET.get("from") or dmy(DEFAULT_START),
            "to": request.GET.get("to") or dmy(as_of),
        },
        directives=[],
        with_directive=False,
    )
    figures = None
    if form.is_valid():
        period = form.period(today)
        figures = unit_figures(unit, period.start, period.end)
    return render(
        request,
        "branches/unit_detail.html",
        {
            "unit": unit,
            "today": today,
            "as_of": as_of,
            "successor": successor,
            "parent_links": parent_links,
            "child_links": child_links,
            "page": page,
            "form": form,
            "figures": figures,
        },
    )


# --- the reports' index ------------------------------------------------------------------


@login_required
@require_safe
def report_index(request):
    """Where the reports are: the user's units (a dissolved one up to its last day) and the
    units directly under them, each with its report and the two official forms."""
    today = timezone.localdate()
    entries = []
    for role in Role.objects.read_for(request.user):
        unit = role.unit
        as_of = unit.last_day(today)
        children = sorted(
            (
                link.unit
                for link in UnitParent.objects.valid_on(as_of)
                .filter(parent=unit)
                .select_related("unit")
            ),
            key=lambda child: child.sort_key,
        )
        entries.append({"unit": unit, "as_of": as_of, "children": children})
    return render(request, "reports/index.html", {"entries": entries, "today": today})
