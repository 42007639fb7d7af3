"""Writing the synthetic rows fast: the tables' columns in the order the rows are built,
bulk inserts (COPY on PostgreSQL, ``executemany`` on SQLite) and ``BulkLoad``."""

from __future__ import annotations

import concurrent.futures
import datetime
from collections.abc import Iterable

from django.db import connection

from branches.models import Unit
from members.models import Event, Member, Membership

# --- the rows ----------------------------------------------------------------------------------

UNIT_COLUMNS = [f.column for f in Unit._meta.concrete_fields]
MEMBER_COLUMNS = [f.column for f in Member._meta.concrete_fields]
EVENT_COLUMNS = [f.column for f in Event._meta.concrete_fields]
MEMBERSHIP_COLUMNS = [f.column for f in Membership._meta.concrete_fields]
# The order the rows below are built in; checked against the models, so that a new field
# fails here rather than being silently left to its database default.
_MEMBER_ORDER = (
    "id full_name gender date_of_birth place_of_birth hometown residence ethnicity religion "
    "occupation occupation_group general_education professional_level academic_title "
    "political_theory citizen_id party_card_no personal_history_no youth_union_member "
    "private_business_owner married_to_foreigner name_folded name_sort_key status unit_id "
    "record_unit_id admitted_on recognized_on version created_at updated_at"
).split()
_EVENT_ORDER = (
    "id member_id kind effective_date unit_id other_unit_id other_unit_name probationary "
    "decision_no decision_date issuing_body directive_id ceremony_date sponsors reason "
    "resolution_date consent_no consent_date record_cleared_on notes "
    "ended_on purpose term_end created_by_id created_at "
    "cancelled_at cancelled_by_id cancellation_reason cancellation_decision "
    "corrected_at corrected_by_id correction_reason"
).split()
_MEMBERSHIP_ORDER = "id member_id unit_id start_date end_date start_event_id end_event_id".split()
_UNIT_ORDER = "id code name kind founded_on dissolved_on successor_id spans_tree".split()
for _columns, _order in (
    (UNIT_COLUMNS, _UNIT_ORDER),
    (MEMBER_COLUMNS, _MEMBER_ORDER),
    (EVENT_COLUMNS, _EVENT_ORDER),
    (MEMBERSHIP_COLUMNS, _MEMBERSHIP_ORDER),
):
    if _columns != _order:
        raise RuntimeError(f"devdata.synthetic: the model's columns changed: {_columns}")


def next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def insert(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite."""
    rows = list(rows)
    if not rows:
        return
    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # (Django wraps execute(), not copy(): its errors are translated here.)
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})", _for_sqlite(model, rows)
            )


def _for_sqlite(model, rows: list[tuple]) -> list[tuple]:
    """Dates and times as Django stores them in SQLite (text), converted once per value."""
    kinds = [f.get_internal_type() for f in model._meta.concrete_fields]
    dated = [i for i, kind in enumerate(kinds) if kind in ("DateField", "DateTimeField")]
    cache: dict = {}

    def text(value):
        if value is None:
            return None
        found = cache.get(value)
        if found is None:
            if isinstance(value, datetime.datetime):
                found = connection.ops.adapt_datetimefield_value(value)
            else:
                found = value.isoformat()
            cache[value] = found
        return found

    converted = []
    for row in rows:
        row = list(row)
        for i in dated:
            row[i] = text(row[i])
        converted.append(row)
    return converted


class BulkLoad:
    """Writes batches of rows to several tables, as fast as each database allows.

    On PostgreSQL, PostgreSQL's own recipe for populating tables ("Populating a Database" in
    its manual): inside the caller's transaction, the tables' secondary indexes and foreign
    keys are dropped, the rows are COPYed (from a second thread, so that the server works on
    one batch while Python builds the next), then the indexes are rebuilt and the foreign keys
    re-added (validated in one pass each) from the catalog's own definitions, exactly as they
    were. Unique and check constraints stay in place throughout. If anything fails, the
    transaction rolls it all back. On SQLite, plain ``executemany`` in the transaction.
    """

    def __init__(self, models):
        self.models = models
        self.postgresql = connection.vendor == "postgresql"
        self.pending = None
        self.saved: list[str] = []

    def __enter__(self) -> BulkLoad:
        if self.postgresql:
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
            self._drop()
        return self

    def write(self, *batches: tuple) -> None:
        """Write ``(model, columns, rows)`` batches in order (the rows are handed over)."""
        if not self.postgresql:
            for model, columns, rows in batches:
                insert(model, columns, rows)
            return
        self._wait()
        statements = [
            (f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN", rows)
            for model, columns, rows in batches
            if rows
        ]
        self.pending = self.pool.submit(_copy_batches, connection.connection, statements)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            with connection.wrap_database_errors:
                pending.result()

    def __exit__(self, kind, error, trace) -> None:
        if not self.postgresql:
            return
        try:
            self._wait()
        finally:
            self.pool.shutdown()
        if kind is None:
            with connection.cursor() as cursor:
                for statement in self.saved:
                    cursor.execute(statement)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def _drop(self) -> None:
        tables = [model._meta.db_table for model in self.models]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Check the rows written so far (the tree): ALTER TABLE refuses tables with
            # deferred checks pending. Django's constraints are deferred again at the end.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                  FROM pg_constraint c
                 WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
                 ORDER BY 1, 2
                """,
                [tables],
            )
            foreign_keys = cursor.fetchall()
            # Secondary indexes: not those behind a primary key or unique constraint.
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                  FROM pg_index i
                 WHERE i.indrelid::regclass::text = ANY(%s)
                   AND NOT EXISTS (
                       SELECT 1 FROM pg_constraint c
                        WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
                          AND c.conrelid = i.indrelid)
                 ORDER BY 1
                """,
                [tables],
            )
            indexes = cursor.fetchall()
            quote = connection.ops.quote_name
            for table, name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        self.saved = [definition for _name, definition in indexes] + [
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
            for table, name, definition in foreign_keys
        ]


def _copy_batches(raw_connection, statements) -> None:
    """Run each ``(COPY statement, rows)`` through the raw psycopg connection (from the
    loader's thread; the caller's thread does not use the connection meanwhile)."""
    for statement, rows in statements:
        with raw_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def reset_sequences(models) -> None:
    """After explicit ids: the next row saved by the application gets the next id."""
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id by itself
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
