"""The fast path of the counting queries: their SQL built by the ORM once per shape, and the
few SQL expressions the ORM does not write well. Nothing here decides what is counted; the
querysets of ``definitions`` do (docs/decisions/0003-prepared-sql.md).

Building and compiling one of the figures' querysets costs the ORM more than the database
takes to answer it for a cell or a commune. Their SQL depends only on their *shape* (whether
the unit spans the tree, whether the counts are by child and for how many children), never on
the values (a unit's id, days). So each shape is built once, with stand-in values that no real
query holds (ids below -10⁹, days in the year 1001), compiled, and the stand-ins located among
its parameters; every later call runs that SQL with the real values in their places.

Rows come back as the database gives them (no Django converters): numbers and text as they
are, booleans as 0/1 on SQLite. The callers only count and test truth.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.db import connections, router
from django.db.models import Func, IntegerField, QuerySet
from django.db.models.fields.related_lookups import RelatedIn

from branches.models import UnitAncestry

_FIRST_DAY = datetime.date(1001, 1, 1)
_FIRST_ID = -1_000_000_000


@dataclasses.dataclass(frozen=True)
class _Compiled:
    sql: str
    # For each parameter: the name of a value, or None and the parameter as compiled.
    slots: tuple[tuple[str | None, object], ...]


_cache: dict[tuple, _Compiled] = {}


def _stand_ins(values: dict) -> dict:
    stand_ins = {}
    for index, (name, value) in enumerate(sorted(values.items())):
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            stand_ins[name] = _FIRST_DAY + datetime.timedelta(days=index)
        elif isinstance(value, int) and not isinstance(value, bool):
            stand_ins[name] = _FIRST_ID - index
        else:
            raise TypeError(f"{name}: only ids and days are stood in for, not {value!r}")
    return stand_ins


def _adapt(connection, value):
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _compile(connection, using: str, queryset: QuerySet, aggregates, stand_ins) -> _Compiled:
    query = queryset.query.chain()
    if aggregates:  # as QuerySet.aggregate() does for a plain filtered query
        query.clear_ordering(force=True)
        query.select = ()
        query.default_cols = False
        query.extra = {}
        for alias, aggregate in aggregates.items():
            query.add_annotation(aggregate, alias, select=True)
    compiler = query.get_compiler(using)
    sql, params = compiler.as_sql()
    by_param = {_adapt(connection, value): name for name, value in stand_ins.items()}
    slots = tuple(
        (by_param[param], None) if _hashable(param) and param in by_param else (None, param)
        for param in params
    )
    found = {name for name, _constant in slots if name is not None}
    if found != set(stand_ins):
        raise ValueError(f"values not found among the parameters: {set(stand_ins) - found}")
    for value in stand_ins.values():  # a value inlined into the SQL would not be replaced
        if str(value) in sql:
            raise ValueError(f"a stand-in value is written into the SQL: {value}")
    return _Compiled(sql=sql, slots=slots)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _run(
    key: tuple,
    build: Callable[..., QuerySet],
    aggregates: Callable[..., dict] | None,
    values: dict,
) -> list[dict]:
    # The alias the router picks for the query's model (known once the shape was built).
    model = _model_of.get(key)
    using = router.db_for_read(model) if model is not None else None
    entry = _cache.get((using, *key)) if model is not None else None
    if entry is None:
        stand_ins = _stand_ins(values)
        queryset = build(**stand_ins)
        using = queryset.db
        _model_of[key] = queryset.model
        entry = _cache[(using, *key)] = _compile(
            connections[using],
            using,
            queryset,
            aggregates(**stand_ins) if aggregates else None,
            stand_ins,
        )
    connection = connections[using]
    params = [
        _adapt(connection, values[name]) if name is not None else constant
        for name, constant in entry.slots
    ]
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        # Django writes an alias for every selected value ("… AS kind"): rows by those names.
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


_model_of: dict[tuple, type] = {}


def rows(
    key: tuple, build: Callable[..., QuerySet], *, children: list[int] | None = None, **values
) -> list[dict]:
    """The rows of the ``.values()`` queryset ``build(**values)``, as dicts; ``key`` names the
    shape (the same key, the same SQL whatever the values). ``children``, a list of ids, is
    passed on to ``build`` as it is, and is part of the shape by its length."""
    if children is None:
        return _run(key, build, None, values)
    values = _with_child_values(values, children)
    return _run((*key, len(children)), _gathering(build), None, values)


def aggregate(
    key: tuple, build: Callable[..., QuerySet], aggregates: Callable[..., dict], **values
) -> dict:
    """``build(**values).aggregate(**aggregates(**values))``, as a dict (one row)."""
    (row,) = _run(key, build, aggregates, values)
    return row


# --- a list of ids as values ---------------------------------------------------------------------
# Only single ids and days are stood in for: a list of children's ids travels as one value per
# id, ``child_0``, ``child_1``…, gathered again into a list before the queryset is built.

_CHILD = "child_"


def _with_child_values(values: dict, children: list[int]) -> dict:
    return {**values, **{f"{_CHILD}{i}": pk for i, pk in enumerate(children)}}


def _gathering(build: Callable[..., QuerySet]) -> Callable[..., QuerySet]:
    def build_with_children(**values) -> QuerySet:
        rest = {name: value for name, value in values.items() if not name.startswith(_CHILD)}
        children = [values[f"{_CHILD}{i}"] for i in range(len(values) - len(rest))]
        return build(**rest, children=children)

    return build_with_children


def subtree_values(unit, directive, **values) -> tuple[dict, tuple]:
    """The values of a count over ``unit``'s subtree (its id, unless it spans the tree) under
    ``directive`` (its id, if any), and the shape of the SQL they fill."""
    if not unit.spans_tree:
        values["unit_id"] = unit.pk
    if directive is not None:
        values["directive_id"] = directive.pk
    return values, (unit.spans_tree, directive is not None)


# --- SQL expressions -----------------------------------------------------------------------------


class PlainCount(Func):
    """COUNT as a plain function, for a subquery that counts (Django's own recipe for an
    aggregate inside a Subquery): no GROUP BY."""

    function = "COUNT"
    output_field = IntegerField()


class UnsoughtIn(RelatedIn):
    """``IN``, which SQLite is told not to answer from an index on its column (``+column``,
    SQLite's way to say so): otherwise it seeks the index once per id in the list for each
    closure row, instead of testing the row's few ancestors against the list, many times
    slower for a province (docs/performance.md). PostgreSQL gets the plain ``IN``."""

    lookup_name = "in_unsought"

    def as_sqlite(self, compiler, connection):
        sql, params = self.as_sql(compiler, connection)
        return f"+{sql}", params


UnitAncestry._meta.get_field("ancestor").register_lookup(UnsoughtIn)


class _DateAsNumber(Func):
    """A date as an integer, on SQLite through its own ``strftime`` with ``sqlite_format``:
    Django's date ``EXTRACT`` on SQLite calls a Python function for each row and field, which
    dominated the counts by age and by year (docs/performance.md)."""

    arity = 1
    output_field = IntegerField()
    sqlite_format = ""

    def as_sqlite(self, compiler, connection, **extra_context):
        date_sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime(%s, {date_sql}) AS integer)", [self.sqlite_format, *params]


class DayNumber(_DateAsNumber):
    """A date as the integer yyyymmdd: the difference of two such numbers, divided by 10,000
    and rounded down, is the whole years between the two days (as ``Member.age_on`` counts
    them)."""

    sqlite_format = "%Y%m%d"

    def as_sql(self, compiler, connection, **extra_context):
        # As integers: PostgreSQL's EXTRACT gives numerics, several times slower to add up.
        (date_sql, params) = compiler.compile(self.source_expressions[0])
        parts, all_params = [], []
        for lookup, factor in (("year", 10_000), ("month", 100), ("day", 1)):
            sql, part_params = connection.ops.date_extract_sql(lookup, date_sql, params)
            parts.append(f"CAST({sql} AS integer) * {factor}")
            all_params.extend(part_params)
        return f"({' + '.join(parts)})", all_params


class YearNumber(_DateAsNumber):
    """A date's year as an integer (``yearly_flows``)."""

    sqlite_format = "%Y"

    def as_sql(self, compiler, connection, **extra_context):
        date_sql, params = compiler.compile(self.source_expressions[0])
        sql, params = connection.ops.date_extract_sql("year", date_sql, params)
        return f"CAST({sql} AS integer)", params
