"""Finding members by name, fast: the one way in for the rest of the app.

``search`` filters a queryset of members by a typed name (or an exact citizen ID or party card
number); ``from_floor_of_prefix`` lets a walk of the name order start near a prefix's first
match. Inside, fenced from the domain: the dictionary of names (``dictionary``), the SQL
lookups (``lookups``) and the list's capped, one-query paging (``paging``). Why each exists:
``docs/decisions/0004-name-dictionary.md``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet, Subquery, Value
from django.db.models.functions import StrIndex

from common.vntext import fold

from ..models.names import MemberName
from .dictionary import ensure_names
from .lookups import Bytewise, Prefix
from .paging import CappedPaginator

__all__ = [
    "Bytewise",
    "CappedPaginator",
    "Prefix",
    "ensure_names",
    "from_floor_of_prefix",
    "search",
]


def search(members: QuerySet, text: str, *, from_start: bool = False) -> QuerySet:
    """Members whose name matches ``text`` accent- and case-insensitively ('nguyen van ly'
    finds 'Nguyễn Văn Lý'), anywhere in the name or only at its start (``from_start``:
    'nguyen v' finds him, 'van ly' does not); or whose citizen ID or party card number is
    exactly ``text`` (only a text with a digit in it can be one). One condition, so that
    the database can combine it with the scope's (the name's index, or the cell's few rows
    first); a name alone is answered from the (unit, name) and (name, unit) indexes without
    reading the rows, which an OR with the numbers' indexes would force."""
    text = text.strip()
    key = fold(text)
    if not key:
        return members
    if from_start:
        name = Q(name_folded__prefix=key)
    else:
        # Twice the same test, for the database to start from whichever is smaller: the
        # names that contain it, from the dictionary, then their members from the name's
        # index; or the scope's own members, each name tested on the index entry. The test on
        # the entry is STRPOS/INSTR, not LIKE, which PostgreSQL misestimates here (0004).
        names = MemberName.objects.filter(name__contains=key).values("name")
        members = members.alias(name_at=StrIndex("name_folded", Value(key)))
        name = Q(name_at__gt=0, name_folded__in=names)
    if any(c.isdigit() for c in text):
        # A number as typed or copied from a card, often in groups ("001 203 004 567").
        compact = "".join(text.split())
        name |= Q(citizen_id=compact) | Q(party_card_no__in={text, compact})
    return members.filter(name)


def from_floor_of_prefix(members: QuerySet, text: str) -> QuerySet:
    """Members at or after, in name order, the lowest sort key that a name starting with
    ``text`` (folded) can have: the least floor of the dictionary's names that start with
    it (``MemberName.sort_floor``). It removes none of that prefix's matches; it lets a
    walk of the name order for them start near the first instead of at the first name
    (the sort floor, 0004)."""
    floor = (
        MemberName.objects.filter(name__prefix=fold(text))
        .order_by("sort_floor")
        .values("sort_floor")[:1]
    )
    return members.filter(name_sort_key__gte=Subquery(floor))
