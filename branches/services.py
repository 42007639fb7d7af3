"""Writes to the unit tree. The only place that creates, moves or dissolves units.

Every write here rebuilds the dated closure (``UnitAncestry``) of the units it touched, in the
same transaction, so the closure never disagrees with the parent links.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Role, Unit, UnitAncestry, UnitParent

FOREVER = datetime.date.max  # stands for an open end (NULL) while computing intervals

Interval = tuple[datetime.date, datetime.date]


def _check_parent(*, kind: str, parent: Unit | None, on: datetime.date) -> None:
    if parent is None:
        return
    if not parent.may_hold_child(kind):
        raise ValidationError(
            {
                "parent": _(
                    "Đơn vị loại “%(parent_kind)s” không thể có đơn vị con loại “%(kind)s”."
                )
                % {"parent_kind": parent.get_kind_display(), "kind": Unit.Kind(kind).label}
            }
        )
    if not parent.exists_on(on):
        raise ValidationError(
            {
                "parent": _("Đơn vị cấp trên “%(parent)s” không tồn tại vào ngày %(day)s.")
                % {"parent": parent, "day": on.strftime("%d/%m/%Y")}
            }
        )
    if parent.dissolved_on is not None:  # a link may not outlive its parent
        raise ValidationError(
            {
                "parent": _("Đơn vị cấp trên “%(parent)s” đã giải thể từ ngày %(day)s.")
                % {"parent": parent, "day": parent.dissolved_on.strftime("%d/%m/%Y")}
            }
        )


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    founded_on: datetime.date,
    parent: Unit | None = None,
) -> Unit:
    """Create a unit, under ``parent`` from its founding day (a root when ``parent`` is None)."""
    _check_parent(kind=kind, parent=parent, on=founded_on)
    unit = Unit(code=code, name=name, kind=kind, founded_on=founded_on)
    unit.full_clean()
    unit.save()
    if parent is not None:
        link = UnitParent(unit=unit, parent=parent, valid_from=founded_on)
        link.full_clean()
        link.save()
    unit.spans_tree = rebuild_ancestry([unit.pk]) == unit.pk
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, new_parent: Unit, on: datetime.date) -> UnitParent:
    """Put ``unit`` (and its whole subtree) under ``new_parent`` from ``on``.

    The old link is closed, not rewritten: reports for earlier dates keep the old tree.
    """
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if not unit.exists_on(on):
        raise ValidationError(
            {"on": _("Đơn vị không tồn tại vào ngày %(day)s.") % {"day": on.strftime("%d/%m/%Y")}}
        )
    _check_parent(kind=unit.kind, parent=new_parent, on=on)
    if Unit.objects.under(unit).filter(pk=new_parent.pk).exists():
        raise ValidationError(
            {
                "new_parent": _(
                    "Không thể chuyển một đơn vị vào dưới chính nó hoặc đơn vị con của nó."
                )
            }
        )
    current = UnitParent.objects.filter(unit=unit, valid_to__isnull=True).first()
    if current is not None:
        if on <= current.valid_from:
            raise ValidationError(
                {
                    "on": _("Ngày chuyển phải sau ngày %(day)s (lần thay đổi trực thuộc trước).")
                    % {"day": current.valid_from.strftime("%d/%m/%Y")}
                }
            )
        if current.parent_id == new_parent.pk:
            raise ValidationError({"new_parent": _("Đơn vị đã trực thuộc đơn vị này.")})
        current.valid_to = on
        current.save(update_fields=["valid_to"])
    link = UnitParent(unit=unit, parent=new_parent, valid_from=on)
    link.full_clean()
    link.save()
    rebuild_ancestry(_subtree_ids(unit))
    return link


@transaction.atomic
def unit_dissolve(*, unit: Unit, on: datetime.date, successor: Unit | None = None) -> Unit:
    """Dissolve ``unit`` from ``on`` (its last day is the day before). Refused while it has
    members on its roll or children still under it."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if not unit.exists_on(on) or on == unit.founded_on:
        raise ValidationError(
            {"on": _("Đơn vị không tồn tại vào ngày %(day)s.") % {"day": on.strftime("%d/%m/%Y")}}
        )
    # Any period on its roll that reaches the dissolution day, even one recorded later on
    # (read through the reverse relation: members depends on branches, not the reverse).
    if unit.memberships.filter(Q(end_date__isnull=True) | Q(end_date__gt=on)).exists():
        raise ValidationError(
            {"on": _("Đơn vị còn đảng viên vào ngày giải thể; hãy chuyển sinh hoạt trước.")}
        )
    if (
        UnitParent.objects.filter(parent=unit)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .exists()
    ):
        raise ValidationError(
            {"on": _("Đơn vị còn đơn vị trực thuộc vào ngày giải thể; hãy chuyển chúng trước.")}
        )
    unit.dissolved_on = on
    unit.successor = successor
    unit.full_clean()
    unit.save(update_fields=["dissolved_on", "successor"])
    UnitParent.objects.filter(unit=unit, valid_to__isnull=True).update(valid_to=on)
    # Its roles end with it (issue 30): from ``on`` they read the unit's history, edit nothing.
    # Saved one by one, so each change is in the role's history.
    for role in Role.objects.filter(unit=unit).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on)):
        role.ends_on = on
        role.save(update_fields=["ends_on"])
    unit.spans_tree = rebuild_ancestry(_subtree_ids(unit)) == unit.pk
    return unit


def _subtree_ids(unit: Unit) -> list[int]:
    """The unit and every unit that was ever under it."""
    return list(
        UnitAncestry.objects.filter(ancestor=unit).values_list("unit_id", flat=True).distinct()
    ) or [unit.pk]


def _intersect(a: Interval, b: Interval) -> Interval | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[datetime.date]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


Lifetimes = dict[int, Interval]
Parents = dict[int, list[tuple[int, Interval]]]


def load_tree() -> tuple[Lifetimes, Parents]:
    """Every unit's lifetime and dated links to its parents (two queries)."""
    lifetimes = {
        pk: (founded, dissolved or FOREVER)
        for pk, founded, dissolved in Unit.objects.values_list("pk", "founded_on", "dissolved_on")
    }
    parents: Parents = defaultdict(list)
    for unit_id, parent_id, start, end in UnitParent.objects.values_list(
        "unit_id", "parent_id", "valid_from", "valid_to"
    ):
        parents[unit_id].append((parent_id, (start, end or FOREVER)))
    return lifetimes, parents


def spanning_root(lifetimes: Lifetimes, parents: Parents) -> int | None:
    """The unit above every other unit for the whole of their lives, if there is one.

    A unit is created either under a parent (linked from its founding day) or as a root; its
    links then follow one another without a gap until its dissolution, and a parent outlives
    its links (the services here refuse anything else). So when exactly one unit was created
    as a root, every other unit is under it on every day of its life: it spans the tree.
    """
    roots = [
        pk
        for pk, (founded, _end) in lifetimes.items()
        if not any(start == founded for _parent, (start, _to) in parents.get(pk, ()))
    ]
    return roots[0] if len(roots) == 1 else None


def mark_spanning_root(lifetimes: Lifetimes | None = None, parents: Parents | None = None):
    """Write ``Unit.spans_tree`` (derived): true for the spanning root only. Returns its id."""
    if lifetimes is None or parents is None:
        lifetimes, parents = load_tree()
    top = spanning_root(lifetimes, parents)
    Unit.objects.filter(spans_tree=True).exclude(pk=top).update(spans_tree=False)
    if top is not None:
        Unit.objects.filter(pk=top, spans_tree=False).update(spans_tree=True)
    return top


def compute_ancestry(
    unit_ids: Iterable[int], tree: tuple[Lifetimes, Parents] | None = None
) -> dict[int, dict[int, list[Interval]]]:
    """For each unit: {ancestor id: merged intervals during which it was the unit or above it}.

    Pure computation over the parent links (loaded in two queries unless ``tree`` gives
    them, as ``load_tree`` returns them); memoized per unit.
    """
    lifetimes, parents = tree if tree is not None else load_tree()

    memo: dict[int, dict[int, list[Interval]]] = {}

    def ancestors(pk: int, seen: frozenset[int]) -> dict[int, list[Interval]]:
        if pk in memo:
            return memo[pk]
        if pk in seen:  # a cycle cannot be written through the services; refuse to loop
            raise ValidationError(_("Cây đơn vị có vòng lặp."))
        lifetime = lifetimes[pk]
        found: dict[int, list[Interval]] = defaultdict(list)
        found[pk].append(lifetime)
        for parent_id, link in parents[pk]:
            link = _intersect(link, lifetime)
            if link is None:
                continue
            for ancestor, intervals in ancestors(parent_id, seen | {pk}).items():
                for interval in intervals:
                    both = _intersect(link, interval)
                    if both is not None:
                        found[ancestor].append(both)
        memo[pk] = {a: _merge(iv) for a, iv in found.items()}
        return memo[pk]

    return {pk: ancestors(pk, frozenset()) for pk in unit_ids}


def rebuild_ancestry(unit_ids: Iterable[int]) -> int | None:
    """Replace the closure rows of ``unit_ids`` by freshly computed ones (bulk, two writes),
    and mark the unit that spans the tree (``Unit.spans_tree``); returns that unit's id."""
    unit_ids = list(unit_ids)
    tree = load_tree()
    computed = compute_ancestry(unit_ids, tree)
    kinds = dict(Unit.objects.values_list("pk", "kind"))
    UnitAncestry.objects.filter(unit_id__in=unit_ids).delete()
    UnitAncestry.objects.bulk_create(
        UnitAncestry(
            unit_id=unit_id,
            ancestor_id=ancestor_id,
            valid_from=start,
            valid_to=None if end == FOREVER else end,
            unit_kind=kinds[unit_id],
        )
        for unit_id, by_ancestor in computed.items()
        for ancestor_id, intervals in by_ancestor.items()
        for start, end in intervals
    )
    return mark_spanning_root(*tree)
