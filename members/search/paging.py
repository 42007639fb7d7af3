"""The member list's paging: a count that stops at a cap, and a search's count and sorted
page read in one query (a deferred join and a common table expression). Why:
``docs/decisions/0004-name-dictionary.md``."""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

from common.params import int_param

from .lookups import Bytewise


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows (``capped`` tells whether there are more):
    the pages reach the first ``cap`` rows; a reader narrows the filter for the rest.

    ``rows``, when set: makes a page's rows from the queryset of its slice of ``object_list``
    (a deferred join: the list orders and slices the ids alone, which its indexes can give
    without reading a row, and reads only the page's rows in full)."""

    rows: Callable[[QuerySet], list] | None = None

    def __init__(self, object_list, per_page, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        # One query, which stops after cap + 1 rows (in no order: ordering would make the
        # database find the first cap + 1 in order, walking an index through a province).
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap

    def _get_page(self, object_list, number, paginator):
        if self.rows is not None:
            object_list = self.rows(object_list)
        return super()._get_page(object_list, number, paginator)

    def sorted_matches_page(
        self, matches: QuerySet, number, *, descending: bool, sort_all: bool
    ) -> Page | None:
        """A search's page in name order and the count of its matches, from one reading of
        them: the matches (``sort_all``: all of them, as a search anywhere in the name is
        sorted however many match; otherwise the first cap + 1, in no order, as ``_counted``
        reads them) counted and sorted (``Bytewise``), the page sliced from them. The count
        is kept; the page is returned when it is right: when the sorted matches hold it (all
        the matches, or no more than the cap of them) and its number is one of the list's.
        Otherwise None: the list reads its page as before, with the count already known.

        One query instead of two: the count and the sorted page would each read every match,
        and this reads them once (``docs/decisions/0004-name-dictionary.md``).
        """
        # A whole number (else 1, as get_page does), clamped: a page past the cap's pages is
        # get_page's answer (the last page), and a huge one must not overflow the OFFSET.
        number = int_param(number, default=1, low=0, high=self.cap // self.per_page + 2)
        if number < 1 or number > self.cap // self.per_page + 1 or matches.query.is_empty():
            return None  # get_page's answer (the last page; no match) needs no shortcut
        first = matches.order_by().values(pk_=F("pk"), key_=F("name_sort_key"))
        if not sort_all:
            first = first[: self.cap + 1]
        compiler = first.query.get_compiler(using=first.db)
        sql, params = compiler.as_sql()
        key, _params = compiler.compile(Bytewise(RawSQL('"key_"', ())))
        order = "DESC" if descending else "ASC"
        # Django's ORM has no common table expression; the parts are its own compiled SQL.
        # Read twice, the matches are materialized once (PostgreSQL materializes a CTE that is
        # read more than once): counted, and sorted for the page (a top-N sort), which is
        # cheaper than a window count carrying every sorted match to the page's end.
        with connections[first.db].cursor() as cursor:
            cursor.execute(
                f'WITH "matches" AS ({sql}) '
                f'SELECT "pk_", (SELECT COUNT(*) FROM "matches") FROM "matches" '
                f'ORDER BY {key} {order}, "pk_" {order} LIMIT %s OFFSET %s',
                (*params, self.per_page, (number - 1) * self.per_page),
            )
            found = cursor.fetchall()
        if not found:
            if number > 1:
                return None  # past the last page: get_page counts and shows the last
            self._counted = 0
            return Page([], number, self)
        self._counted = min(found[0][1], self.cap + 1)
        if (self.capped and not sort_all) or number > self.num_pages:
            return None  # only some matches were sorted, or past the pages of the cap's rows
        # The page stops at the cap's last row, as the paginator's own slice does.
        ids = [pk for pk, _total in found][: self.count - (number - 1) * self.per_page]
        return Page(self.rows(ids) if self.rows is not None else ids, number, self)
