"""How long a large roster takes to export, to stage and plan, and to write; and the peak memory.

Not a test: a measurement. It needs a database with the demo's units (the members it writes
are invented and, unless --keep, deleted again):

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/roster_import.py \\
        [--rows 100000] [--commit-rows 2000]

Steps, each in this process, with the time and the process's peak resident set so far
(ru_maxrss: it never goes down, so a step that needs more memory than those before shows as a
rise; Python's own tracing, tracemalloc, would slow the steps several times):

1. write a workbook of N new members (openpyxl write-only, as an export would);
2. export N members through ``members.roster.export_roster`` (after step 4, when they exist);
3. stage the workbook and plan every row (``roster.check(..., histories=False)``: what the
   command line does before committing);
4. commit: the rows written through the services, for the first ``--commit-rows`` rows only
   (a district's file; every row costs the same, the time scales linearly);
5. a full check of those rows through the services, each member rolled back (the upload
   page's preview).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thotnot_members.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

# As in production: with DEBUG on, Django keeps the last 9,000 queries' SQL in memory.
settings.DEBUG = False

from openpyxl import Workbook  # noqa: E402

from branches.models import Unit  # noqa: E402
from members import roster  # noqa: E402
from members.models import Event, Member, Membership, RosterImport  # noqa: E402
from members.roster.columns import MEMBER_COLUMNS  # noqa: E402


def write_file(path: Path, rows: int, cells: list[str], first_id: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(roster.MEMBERS_SHEET)
    ws.append([c.header for c in MEMBER_COLUMNS if c.imported])
    keys = [c.key for c in MEMBER_COLUMNS if c.imported]
    for n in range(rows):
        born = datetime.date(1960 + n % 30, 1 + n % 12, 1 + n % 28)  # 25 to 57 when admitted
        values = {
            "unit_code": cells[n % len(cells)],
            "full_name": f"Nguyễn Văn Thử {n}",
            "gender": "Nam" if n % 2 else "Nữ",
            "date_of_birth": born,
            "citizen_id": f"{first_id + n:012d}",
            "ethnicity": "Kinh",
            "religion": "Không",
            "occupation": "Nông dân",
            "residence": f"Khu vực {n % 12 + 1}",
            "admitted_on": datetime.date(2015, 3, 1) + datetime.timedelta(days=n % 1000),
            "admission_no": f"{n}-QĐ/ĐU",
        }
        ws.append([values.get(k) for k in keys])
    wb.save(path)


def measure(label: str, work):
    began = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<52} {seconds:>9.1f} s {rss:>12.0f} MB", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--commit-rows", type=int, default=2_000)
    parser.add_argument("--keep", action="store_true", help="keep the members written")
    args = parser.parse_args()
    cells = list(
        Unit.objects.filter(kind__in=Unit.MEMBER_KINDS, dissolved_on__isnull=True).values_list(
            "code", flat=True
        )
    )
    if not cells:
        sys.exit("No cells in this database: load the demo first (manage.py load_demo).")
    first_id = 900_000_000_000
    tmp = Path(tempfile.mkdtemp())
    big, small, out = tmp / "big.xlsx", tmp / "small.xlsx", tmp / "export.xlsx"
    print(f"{'step':<52} {'time':>11} {'peak RSS so far':>15}")
    measure(
        f"write a workbook of {args.rows:,} rows",
        lambda: write_file(big, args.rows, cells, first_id),
    )
    print(f"    ({big.stat().st_size / 2**20:.1f} MB on disk)")
    ri = roster.create_import(big.read_bytes(), file_name=big.name)
    measure(f"stage and plan {args.rows:,} rows", lambda: roster.check(ri, histories=False))
    assert ri.status == RosterImport.Status.READY, roster.error_messages(ri, limit=5)
    write_file(small, args.commit_rows, cells, first_id)
    small_ri = roster.create_import(small.read_bytes(), file_name=small.name)
    measure(
        f"check {args.commit_rows:,} rows through the services",
        lambda: roster.check(small_ri),
    )
    assert small_ri.status == RosterImport.Status.READY, roster.error_messages(small_ri, limit=5)
    measure(f"commit {args.commit_rows:,} rows (one transaction)", lambda: roster.commit(small_ri))
    members = Member.objects.filter(citizen_id__gte=f"{first_id:012d}")
    measure(
        f"export {members.count():,} members",
        lambda: roster.export_roster(members.order_by("pk"), out),
    )
    if not args.keep:
        Membership.objects.filter(member__in=members).delete()
        Event.objects.filter(member__in=members).delete()
        members.delete()
    RosterImport.objects.filter(pk__in=[ri.pk, small_ri.pk]).delete()


if __name__ == "__main__":
    main()
