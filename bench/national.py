"""Benchmarks at any scale (not tests: measurements), each against the raw SQL for the same
question. Run on a database holding ``generate_synthetic`` data:

    DATABASE_URL=postgres://…/nation .venv/bin/python bench/national.py [--runs 7] [--only …]

It picks four units of the synthetic tree — a busy cell, a commune (ward-sized), a province
and the whole tree (the root) — and prints tables (median of N runs after a warm-up; the
query count of one run):

- ``figures``: ``unit_figures`` and ``build_unit_report`` (everything the report page shows)
  for 01/01/2020-05/06/2023 under Directive 28-CT/TW, against the floor: hand-written SQL for
  the same figures (``bench/report_vs_sql.py``'s statements; for the root the same without a
  tree filter, since every cell is under it), with a check that both give the same figures;
- ``pages``: the member list (first page and page 10), name searches (the start of the name
  and anywhere in it) and the report page, through Django's test client as a user with a role
  on each unit (cell secretary, boards, a superuser for the whole tree), against the time the
  same SQL statements take run directly, and of those the statements on the members' table
  (a search's own: its matches counted and sorted, the page's rows);
- ``exports``: the roster workbook of 100,000 members (``members.roster.export_roster``), the
  report workbook (``reports.renderers.xlsx``) and the report PDF, each in a fresh process so
  that its peak memory is its own: wall time and peak resident memory (and the growth over
  the process's size before the export).

Nothing is left behind: the benchmark's users and sessions are written in a transaction that
is rolled back.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thotnot_members.settings")

import django  # noqa: E402

django.setup()

import report_vs_sql  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from branches.models import Role, Unit, UnitParent  # noqa: E402
from members.models import Directive, Member, Membership  # noqa: E402
from reports.figures import unit_figures  # noqa: E402
from reports.unit_report import build_unit_report  # noqa: E402

START, END = report_vs_sql.START, report_vs_sql.END
LEVELS = ("cell", "commune", "province", "root")


# --- helpers -------------------------------------------------------------------------------------


def median_ms(function, runs: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def count_queries(function) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured), [q["sql"] for q in captured.captured_queries]


def raw_ms(statements: list[str], runs: int) -> float:
    """The statements as captured (parameters inlined by Django), run directly."""

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    cursor.execute(sql)
                    cursor.fetchall()

    return median_ms(run, runs)


def table(title: str, head: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(head, *rows, strict=True)]
    print(f"\n{title}")
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(head, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                str(x).ljust(w) if i == 0 else str(x).rjust(w)
                for i, (x, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def pick_units() -> dict[str, Unit]:
    """The synthetic tree's root, its first province, that province's largest commune
    (ward-sized) and that commune's busiest cell."""
    root = Unit.objects.filter(code__regex=r"^syn[0-9]+$").order_by("pk").first()
    if root is None:
        raise SystemExit("No synthetic data here: run `manage.py generate_synthetic` first.")
    province = Unit.objects.filter(code=f"{root.code}-t01").get()
    communes = UnitParent.objects.valid_on(END).filter(parent=province).values("unit")
    busiest = (
        Membership.objects.open_on(END)
        .filter(unit__ancestry__ancestor__in=communes, unit__ancestry__valid_to__isnull=True)
        .values("unit__ancestry__ancestor")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    commune = Unit.objects.get(pk=busiest["unit__ancestry__ancestor"])
    cell = Unit.objects.get(
        pk=Membership.objects.open_on(END)
        .filter(unit__in=Unit.objects.under(commune, END))
        .values("unit")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["unit"]
    )
    return {"cell": cell, "commune": commune, "province": province, "root": root}


# --- figures -------------------------------------------------------------------------------------


def bench_figures(units: dict[str, Unit], runs: int) -> None:
    directive = Directive.objects.get(code="28-CT/TW")
    rows = []
    for level in LEVELS:
        unit = units[level]
        whole = level == "root"
        figures = unit_figures(unit, START, END, directive)
        same = report_vs_sql.raw_sql(unit, directive, whole_tree=whole) == (
            report_vs_sql.as_figures(figures)
        )
        n_figures, _ = count_queries(lambda u=unit: unit_figures(u, START, END, directive))
        n_report, _ = count_queries(lambda u=unit: build_unit_report(u, START, END, directive))
        t_figures = median_ms(lambda u=unit: unit_figures(u, START, END, directive), runs)
        t_sql = median_ms(
            lambda u=unit, w=whole: report_vs_sql.raw_sql(u, directive, whole_tree=w), runs
        )
        t_report = median_ms(lambda u=unit: build_unit_report(u, START, END, directive), runs)
        rows.append(
            [
                f"{level} ({unit.code})",
                f"{figures.members_at_end:,}",
                f"{t_figures:.1f} ({n_figures}q)",
                f"{t_sql:.1f}",
                f"{t_figures / t_sql:.2f}x",
                "yes" if same else "NO",
                f"{t_report:.1f} ({n_report}q)",
            ]
        )
    table(
        f"Report figures, {START:%d/%m/%Y}-{END:%d/%m/%Y} under 28-CT/TW (ms, median of {runs})",
        ["unit", "members", "figures", "raw SQL", "ratio", "same", "whole report"],
        rows,
    )
    bench_design_floors(units["root"], directive, runs)


# DESIGN.md's measured floors for the whole country, in its own forms: the events of a period
# counted by kind from the (effective_date, kind) index with no tree filter (~200 ms there), and
# the members on a date counted from the periods (~250 ms there). The report's figures ask
# the first once and the second twice (the members on the day before the period and on its
# last day).
DESIGN_FLOWS = (
    "SELECT kind, COUNT(*) FROM members_event WHERE effective_date BETWEEN %s AND %s GROUP BY kind"
)
DESIGN_MEMBERS_ON = (
    "SELECT COUNT(*) FROM members_membership "
    "WHERE start_date <= %s AND (end_date IS NULL OR end_date > %s)"
)


def bench_design_floors(root: Unit, directive: Directive, runs: int) -> None:
    before = START - datetime.timedelta(days=1)

    def run(sql: str, params: list):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    parts = [
        ("events by kind, the period", DESIGN_FLOWS, [START, END]),
        (f"members on {before:%d/%m/%Y}", DESIGN_MEMBERS_ON, [before, before]),
        (f"members on {END:%d/%m/%Y}", DESIGN_MEMBERS_ON, [END, END]),
    ]
    rows, floor = [], 0.0
    for label, sql, params in parts:
        took = median_ms(lambda s=sql, p=params: run(s, p), runs)
        floor += took
        rows.append([label, f"{took:.1f}"])
    figures = median_ms(lambda: unit_figures(root, START, END, directive), runs)
    rows += [
        ["the three together (the floor)", f"{floor:.1f}"],
        [f"the report's figures ({figures / floor:.2f}x the floor)", f"{figures:.1f}"],
    ]
    table(
        f"The whole tree against DESIGN.md's forms of its questions (ms, median of {runs})",
        ["question", "ms"],
        rows,
    )


# --- pages ---------------------------------------------------------------------------------------


def _user(name: str, unit: Unit | None, kind: str | None):
    User = get_user_model()
    if unit is None:
        return User.objects.create(username=f"bench-{name}", is_superuser=True, is_staff=True)
    user = User.objects.create(username=f"bench-{name}")
    Role.objects.create(user=user, unit=unit, kind=kind)
    return user


def bench_pages(units: dict[str, Unit], runs: int, levels: list[str]) -> None:
    setup_test_environment(debug=False)
    K = Role.Kind
    cases_by_user = [
        ("cell", units["cell"], K.CELL_SECRETARY),
        ("commune", units["commune"], K.BOARD),
        ("province", units["province"], K.BOARD),
        ("root", None, None),
    ]
    cases_by_user = [case for case in cases_by_user if case[0] in levels]
    # A name that is there, for the searches: the start of a name, and a given name.
    sample = Member.objects.filter(unit=units["cell"]).order_by("pk").first()
    words = sample.name_folded.split()
    prefix, anywhere = " ".join(words[:2]), words[-1]
    if len(anywhere) < 3:
        anywhere = " ".join(words[-2:])
    rows = []
    with transaction.atomic():
        for level, unit, kind in cases_by_user:
            client = Client()
            client.force_login(_user(level, unit, kind))
            pages = [
                ("list", "/members/"),
                ("list p.10", "/members/?page=10"),
                (f"search '{prefix}'", f"/members/?q={prefix}&match=start"),
                (f"search '{anywhere}'", f"/members/?q={anywhere}"),
            ]
            report_unit = unit or units["root"]
            pages.append(
                (
                    "report page",
                    f"/reports/{report_unit.code}/?from=01/01/2020&to=05/06/2023",
                )
            )
            for label, url in pages:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code}")
                period = response.context.get("period")
                if period is not None and (period.start, period.end) != (START, END):
                    raise SystemExit(f"{url}: the page shows {period}, not the period asked")
                n, statements = count_queries(lambda c=client, u=url: c.get(u))
                t_page = median_ms(lambda c=client, u=url: c.get(u), runs)
                t_sql = raw_ms(statements, runs)
                # The list's and the search's own statements (the matches counted and sorted,
                # the page's rows), apart from the session's, the user's and the filter's.
                t_members = "-"
                if label != "report page":
                    on_members = [sql for sql in statements if 'FROM "members_member"' in sql]
                    t_members = f"{raw_ms(on_members, runs):.1f}"
                rows.append(
                    [f"{level}: {label}", f"{t_page:.1f}", f"{t_sql:.1f}", t_members, f"{n}"]
                )
        transaction.set_rollback(True)
    table(
        f"Pages through the test client, as a user with a role (ms, median of {runs})",
        ["page", "page ms", "its SQL ms", "on members", "queries"],
        rows,
    )


# --- exports (each in its own process) -----------------------------------------------------------


def _child(task: str, argument: str) -> dict:
    """Run in a fresh process: one export, then its time and memory as JSON."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    size = 0
    if task == "roster":
        from members.roster import export_roster

        first = Member.objects.order_by("pk").values_list("pk", flat=True).first()
        members = Member.objects.filter(pk__gte=first, pk__lt=first + int(argument))
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
            rows = export_roster(members, out.name)
            size = os.path.getsize(out.name)
    else:
        from reports.renderers import pdf, xlsx

        unit = Unit.objects.get(code=argument)
        directive = Directive.objects.get(code="28-CT/TW")
        report = build_unit_report(unit, START, END, directive)
        if task == "report-xlsx":
            content = xlsx.unit_report_xlsx(report)
        else:
            content = pdf.unit_report_pdf(report, today=datetime.date(2023, 6, 5))
        rows, size = None, len(content)
    return {
        "seconds": time.perf_counter() - began,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
        "rows": rows,
        "bytes": size,
    }


def bench_exports(units: dict[str, Unit]) -> None:
    jobs = [
        ("roster workbook, 100,000 members", "roster", "100000"),
        (f"report workbook, commune {units['commune'].code}", "report-xlsx", units["commune"].code),
        (
            f"report workbook, province {units['province'].code}",
            "report-xlsx",
            units["province"].code,
        ),
        (f"report PDF, commune {units['commune'].code}", "report-pdf", units["commune"].code),
        (f"report PDF, province {units['province'].code}", "report-pdf", units["province"].code),
        ("report PDF, the whole tree", "report-pdf", units["root"].code),
    ]
    rows = []
    for label, task, argument in jobs:
        done = subprocess.run(
            [sys.executable, __file__, "--child", task, argument],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(
            [
                label,
                f"{result['seconds']:.1f}",
                f"{result['peak_mb']:.0f}",
                f"{result['growth_mb']:.0f}",
                f"{result['bytes'] / 1e6:.1f}",
            ]
        )
    table(
        "Exports, each in a fresh process",
        ["export", "seconds", "peak RSS MB", "growth MB", "file MB"],
        rows,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement")
    parser.add_argument(
        "--only", choices=("figures", "pages", "exports"), action="append", help="sections"
    )
    parser.add_argument(
        "--level", choices=LEVELS, action="append", help="pages: only these users' levels"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(_child(*options.child)))
        return 0
    sections = options.only or ["figures", "pages", "exports"]
    units = pick_units()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()") if connection.vendor == "postgresql" else None
        version = (
            cursor.fetchone()[0].split(" on ")[0] if connection.vendor == "postgresql" else "SQLite"
        )
    print(
        f"{version}; {Member.objects.active().count():,} members on a roll "
        f"({Member.objects.count():,} records); units: "
        + ", ".join(f"{level} {unit.code}" for level, unit in units.items())
    )
    if "figures" in sections:
        bench_figures(units, options.runs)
    if "pages" in sections:
        bench_pages(units, options.runs, options.level or list(LEVELS))
    if "exports" in sections:
        bench_exports(units)
    return 0


if __name__ == "__main__":
    sys.exit(main())
