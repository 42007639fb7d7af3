"""How long the report's figures take, against a hand-written SQL aggregate for the same question.

Not a test: a measurement. Run it on a database holding the demo (or real data):

    DATABASE_URL=sqlite:////tmp/reports.sqlite3 .venv/bin/python bench/report_vs_sql.py [--runs 21]

For a cell, a ward and the district, over 01/01/2020-05/06/2023 under Directive 28-CT/TW, it
times (median of N runs, after one warm-up run):

- ``unit_figures``: the counting layer alone (3 queries);
- ``build_unit_report``: everything the report page shows (figures, children, breakdown,
  years: 8 queries, 6 for a cell);
- raw SQL: the same figures as ``unit_figures`` from three hand-written statements (the roll:
  members at the start and end, moved in and out; the events by kind, all and the directive's,
  with the struck off while probationary, transfers inside the subtree left out; the grassroots
  organizations), executed through the same connection with no ORM in between;

and checks that the raw SQL gives exactly the same figures as the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thotnot_members.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from branches.models import Unit  # noqa: E402
from members.models import Directive  # noqa: E402
from reports.figures import FLOW_KINDS, unit_figures  # noqa: E402
from reports.unit_report import build_unit_report  # noqa: E402

UNITS = (("cell", "p-thot-not-long-thanh-2"), ("ward", "p-thot-not"), ("district", "q-thot-not"))
START, END = datetime.date(2020, 1, 1), datetime.date(2023, 6, 5)

# The same questions, written by hand: the three statements a person would write for this schema.
# %(…)s placeholders work on SQLite and PostgreSQL alike.
VALID = "{a}.valid_from <= {day} AND ({a}.valid_to IS NULL OR {a}.valid_to > {day})"
OPEN = "m.start_date <= {day} AND (m.end_date IS NULL OR m.end_date > {day})"
OPEN_BEFORE = "m.start_date < {day} AND (m.end_date IS NULL OR m.end_date >= {day})"

ROLL_SQL = f"""
SELECT
  SUM(CASE WHEN {VALID.format(a="a", day="%(before)s")} AND {OPEN.format(day="%(before)s")}
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN {VALID.format(a="a", day="%(end)s")} AND {OPEN.format(day="%(end)s")}
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.valid_from BETWEEN %(start)s AND %(end)s
            AND {OPEN_BEFORE.format(day="a.valid_from")} THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.valid_to BETWEEN %(start)s AND %(end)s
            AND {OPEN_BEFORE.format(day="a.valid_to")} THEN 1 ELSE 0 END)
  FROM branches_unitancestry a
  JOIN members_membership m ON m.unit_id = a.unit_id
 WHERE a.ancestor_id = %(unit)s AND a.valid_from <= %(end)s
"""
# Per kind: all events, the directive's, and (struck off) those whose member was probationary:
# the member's latest status-setting event before it was an admission or a probationary arrival.
FLOW_SQL = f"""
SELECT kind, COUNT(*), SUM(CASE WHEN directive_id = %(directive)s THEN 1 ELSE 0 END),
       SUM(probationary), SUM(CASE WHEN directive_id = %(directive)s THEN probationary END)
  FROM (
    SELECT e.kind, e.directive_id,
           CASE WHEN e.kind = 'struck_off' THEN (
             SELECT CASE WHEN p.kind IN ('admission', 'readmission') OR p.probationary
                         THEN 1 ELSE 0 END
               FROM members_event p
              WHERE p.member_id = e.member_id
                AND p.kind IN ('admission', 'readmission', 'recognition', 'transfer_in',
                               'restoration')
                AND (p.effective_date < e.effective_date
                     OR (p.effective_date = e.effective_date AND p.id < e.id))
              ORDER BY p.effective_date DESC, p.id DESC LIMIT 1) ELSE 0 END AS probationary
      FROM branches_unitancestry a
      JOIN members_event e ON e.unit_id = a.unit_id
     WHERE a.ancestor_id = %(unit)s
       AND e.effective_date BETWEEN %(start)s AND %(end)s
       AND {VALID.format(a="a", day="e.effective_date")}
       AND NOT (e.kind IN ('transfer_in', 'transfer_out') AND EXISTS (
             SELECT 1 FROM branches_unitancestry o
              WHERE o.unit_id = e.other_unit_id AND o.ancestor_id = %(unit)s
                AND {VALID.format(a="o", day="e.effective_date")}))
     OFFSET 0  -- (the probationary lookup once per row, not once per use)
  ) flows
 GROUP BY kind
"""
GRASSROOTS_SQL = f"""
SELECT COUNT(*) FROM branches_unitancestry a JOIN branches_unit u ON u.id = a.unit_id
 WHERE a.ancestor_id = %(unit)s AND a.unit_id <> %(unit)s
   AND u.kind IN ('grassroots_committee', 'grassroots_cell')
   AND {VALID.format(a="a", day="%(end)s")}
"""
# The same three for the root of the whole tree: every cell is under it on every day, so a
# person would write them with no tree filter at all (nothing moves in or out of the whole).
ROLL_SQL_WHOLE = f"""
SELECT
  SUM(CASE WHEN {OPEN.format(day="%(before)s")} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {OPEN.format(day="%(end)s")} THEN 1 ELSE 0 END),
  0, 0
  FROM members_membership m
 WHERE m.start_date <= %(end)s AND (m.end_date IS NULL OR m.end_date >= %(before)s)
"""
FLOW_SQL_WHOLE = """
SELECT kind, COUNT(*), SUM(CASE WHEN directive_id = %(directive)s THEN 1 ELSE 0 END),
       SUM(probationary), SUM(CASE WHEN directive_id = %(directive)s THEN probationary END)
  FROM (
    SELECT e.kind, e.directive_id,
           CASE WHEN e.kind = 'struck_off' THEN (
             SELECT CASE WHEN p.kind IN ('admission', 'readmission') OR p.probationary
                         THEN 1 ELSE 0 END
               FROM members_event p
              WHERE p.member_id = e.member_id
                AND p.kind IN ('admission', 'readmission', 'recognition', 'transfer_in',
                               'restoration')
                AND (p.effective_date < e.effective_date
                     OR (p.effective_date = e.effective_date AND p.id < e.id))
              ORDER BY p.effective_date DESC, p.id DESC LIMIT 1) ELSE 0 END AS probationary
      FROM members_event e
     WHERE e.effective_date BETWEEN %(start)s AND %(end)s
       AND NOT (e.kind IN ('transfer_in', 'transfer_out') AND e.other_unit_id IS NOT NULL)
     OFFSET 0  -- (the probationary lookup once per row, not once per use)
  ) flows
 GROUP BY kind
"""
KINDS = {kind: name for name, kind in FLOW_KINDS.items()}


def raw_sql(unit: Unit, directive: Directive, *, whole_tree: bool = False) -> dict:
    """The figures from hand-written SQL; ``whole_tree``: ``unit`` is the root of the whole
    tree, and the statements need no tree filter."""
    params = {
        "unit": unit.pk,
        "start": START,
        "end": END,
        "before": START - datetime.timedelta(days=1),
        "directive": directive.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(ROLL_SQL_WHOLE if whole_tree else ROLL_SQL, params)
        at_start, at_end, moved_in, moved_out = (n or 0 for n in cursor.fetchone())
        cursor.execute(FLOW_SQL_WHOLE if whole_tree else FLOW_SQL, params)
        flows = cursor.fetchall()
        cursor.execute(GRASSROOTS_SQL, params)
        (grassroots,) = cursor.fetchone()
    every = dict.fromkeys(FLOW_KINDS, 0)
    chosen = dict.fromkeys(FLOW_KINDS, 0)
    probationary = [0, 0]
    for kind, n, n_directive, p_all, p_directive in flows:
        every[KINDS[kind]], chosen[KINDS[kind]] = n, n_directive or 0
        probationary = [probationary[0] + (p_all or 0), probationary[1] + (p_directive or 0)]
    return {
        "members_at_start": at_start,
        "members_at_end": at_end,
        "moved_in": moved_in,
        "moved_out": moved_out,
        "grassroots_organizations": grassroots,
        "all_events": every,
        "flows": chosen,
        "struck_off_probationary": probationary,
    }


def as_figures(figures) -> dict:
    return {
        "members_at_start": figures.members_at_start,
        "members_at_end": figures.members_at_end,
        "moved_in": figures.moved_in,
        "moved_out": figures.moved_out,
        "grassroots_organizations": figures.grassroots_organizations,
        "all_events": dataclasses.asdict(figures.all_events),
        "flows": dataclasses.asdict(figures.flows),
        "struck_off_probationary": [
            figures.all_struck_off_probationary,
            figures.struck_off_probationary,
        ],
    }


def median_ms(function, runs: int) -> float:
    function()  # warm-up: connection, caches, imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per measurement")
    runs = parser.parse_args().runs
    directive = Directive.objects.filter(code="28-CT/TW").first()
    if directive is None or not Unit.objects.filter(code="q-thot-not").exists():
        print("No demo data here: run `manage.py load_demo` on this DATABASE_URL first.")
        return 1
    vendor = connection.vendor
    print(f"Database: {vendor}; period 01/01/2020-05/06/2023 under 28-CT/TW; median of {runs}.")
    head = (
        f"{'unit':<9} {'members':>8} {'figures ms':>11} {'report ms':>10} {'raw SQL ms':>11} "
        f"{'figures/SQL':>12}  same"
    )
    print(head)
    print("-" * len(head))
    for label, code in UNITS:
        unit = Unit.objects.get(code=code)
        figures = unit_figures(unit, START, END, directive)
        same = raw_sql(unit, directive) == as_figures(figures)
        t_figures = median_ms(lambda u=unit: unit_figures(u, START, END, directive), runs)
        t_report = median_ms(lambda u=unit: build_unit_report(u, START, END, directive), runs)
        t_sql = median_ms(lambda u=unit: raw_sql(u, directive), runs)
        print(
            f"{label:<9} {figures.members_at_end:>8} {t_figures:>11.1f} {t_report:>10.1f} "
            f"{t_sql:>11.1f} {t_figures / t_sql:>11.1f}x  {'yes' if same else 'NO'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
