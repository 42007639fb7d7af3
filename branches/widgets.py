"""The cell picker: the cells of a form grouped by the unit above them, in Vietnamese order.

Written out by ``FastSelect`` (``docs/decisions/0005-hand-written-html.md``), so 10,000 cells
cost a page little; ``static/js/picker.js`` adds a box that narrows it by typing, and the
plain <select> works without it.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.vntext import phrase_sort_key
from common.widgets import FastSelect

from .models import UnitParent


def grouped_cells(queryset, day) -> list[tuple[str, list[tuple[int, str]]]]:
    """``queryset``'s units as (group label, [(pk, name)]) groups: each under its parent on
    ``day``, the groups and the units in each in Vietnamese order (``Unit.sort_key``). A
    group whose parent's name another group shares also names the level above it. One
    query: the units with their parent's and grandparent's names."""

    def parent_of(ref):
        return UnitParent.objects.valid_on(day).filter(unit_id=OuterRef(ref))

    units = queryset.order_by().annotate(
        parent_pk=Subquery(parent_of("pk").values("parent_id")[:1]),
        parent_name=Subquery(parent_of("pk").values("parent__name")[:1]),
        grand_name=Subquery(parent_of("parent_pk").values("parent__name")[:1]),
    )
    members: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    names: dict[int | None, tuple[str, str | None]] = {}
    for pk, name, parent, parent_name, grand_name in units.values_list(
        "pk", "name", "parent_pk", "parent_name", "grand_name"
    ):
        members[parent].append((pk, name))
        names[parent] = (parent_name, grand_name)
    shared = defaultdict(int)
    for parent_name, _grand in names.values():
        shared[parent_name] += 1
    groups = []
    for parent, cells in members.items():
        parent_name, grand_name = names[parent]
        label = parent_name or _("Không trực thuộc đơn vị nào")
        if parent_name and shared[parent_name] > 1 and grand_name:
            label = f"{parent_name} — {grand_name}"
        cells.sort(key=lambda cell: phrase_sort_key(cell[1]))
        groups.append((label, cells))
    groups.sort(key=lambda group: phrase_sort_key(group[0]))
    return groups


class CellPicker(FastSelect):
    """A ``ModelChoiceField``'s units as ``grouped_cells``, marked for ``picker.js``."""

    def __init__(self, attrs=None, choices=()):
        hint = gettext_lazy("Gõ vài chữ của tên chi bộ hoặc đảng bộ để lọc")
        super().__init__(
            {"data-picker": "", "data-picker-placeholder": hint, **(attrs or {})}, choices
        )

    def optgroups(self, name, value, attrs=None):
        choices = self.choices
        queryset = getattr(choices, "queryset", None)
        if queryset is None:
            return super().optgroups(name, value, attrs)
        chosen = {str(v) for v in value if v is not None}
        groups = []
        index = 0
        empty = getattr(choices.field, "empty_label", None)
        if empty is not None:
            groups.append((None, [self.create_option(name, "", empty, "" in chosen, 0)], 0))
            index = 1
        for label, cells in grouped_cells(queryset, timezone.localdate()):
            options = []
            for pk, cell in cells:
                options.append(self.create_option(name, pk, cell, str(pk) in chosen, index))
                index += 1
            groups.append((label, options, index))
        return groups
