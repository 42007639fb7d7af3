"""The counting queries' SQL, built by the ORM once per shape and then reused.

Building and compiling one of the figures' querysets costs the ORM 2-4 ms (Q trees resolved,
joins set up, subqueries compiled), more than the database takes to answer it for a cell or a
commune. Their SQL depends only on their *shape* (whether the unit spans the tree, whether the
counts are by child), never on the values (a unit's id, days). So each shape is built once,
with stand-in values that no real query holds (ids below -10⁹, days in the year 1001),
compiled, and the stand-ins located among its parameters; every later call runs that SQL with
the real values in their places. The querysets in ``reports.figures`` stay the one definition
of each question; this only skips re-deriving the same SQL from them.

Rows come back as the database gives them (no Django converters): numbers and text as they
are, booleans as 0/1 on SQLite. The callers only count and test truth.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.db import connections, router
from django.db.models import QuerySet

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


def rows(key: tuple, build: Callable[..., QuerySet], **values) -> list[dict]:
    """The rows of the ``.values()`` queryset ``build(**values)``, as dicts; ``key`` names the
    shape (the same key, the same SQL whatever the values)."""
    return _run(key, build, None, values)


def aggregate(
    key: tuple, build: Callable[..., QuerySet], aggregates: Callable[..., dict], **values
) -> dict:
    """``build(**values).aggregate(**aggregates(**values))``, as a dict (one row)."""
    (row,) = _run(key, build, aggregates, values)
    return row
