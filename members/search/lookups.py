"""The two SQL pieces the name search is built of: a prefix as a range, a byte-wise order."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Collate
from django.db.models.lookups import StartsWith

from common.vntext import after_prefix


@models.CharField.register_lookup
class Prefix(StartsWith):
    """``startswith``, case-sensitive, written as the range it is in byte order: ``prefix <=
    column < after_prefix(prefix)`` (PostgreSQL's pattern operators, served by a
    ``varchar_pattern_ops`` index; SQLite's own comparison, its columns' collation being
    bytewise). PostgreSQL answers a LIKE from the same range of the index but tests LIKE again
    on every entry of it, which the range spares (``docs/decisions/0004-name-dictionary.md``).
    Other databases get LIKE."""

    lookup_name = "prefix"

    def as_postgresql(self, compiler, connection):
        return self._as_range(compiler, connection, "~>=~", "~<~")

    def as_sqlite(self, compiler, connection):
        return self._as_range(compiler, connection, ">=", "<")

    def _as_range(self, compiler, connection, at_least: str, below: str):
        if not isinstance(self.rhs, str):
            return self.as_sql(compiler, connection)
        column, column_params = self.process_lhs(compiler, connection)
        sql = f"{column} {at_least} %s"
        params = [*column_params, self.rhs]
        upper = after_prefix(self.rhs)
        if upper is not None:
            sql = f"({sql} AND {column} {below} %s)"
            params += [*column_params, upper]
        return sql, params


class Bytewise(Collate):
    """A text compared byte by byte (collation "C" on PostgreSQL, BINARY on SQLite): for the
    name's sort key, which holds only digits, "!" and spaces, the same order as the column's
    own collation, compared faster, and served by no index (so that the database sorts a
    search's matches instead of walking the name order for them)."""

    def __init__(self, expression):
        super().__init__(expression, "C")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, collation="BINARY", **extra_context)
