"""The load test's data (bench/load.sh): the plan before it, the check and the table after it.

    python bench/load_data.py plan PLAN.json
    python bench/load_data.py check PLAN.json RESULTS.json

``plan`` reads the demo database and writes what the simulated staff will open and enter: per
account the units, members and cells it may see or edit; the members to transfer and to
recognize (each in one account's pool only, each tried first through its service in a
transaction that is rolled back, so that every submission is one the app accepts); and the
counts and highest ids before the run.

``check`` compares the database after the run with what locust recorded as accepted
(RESULTS.json, written by bench/locustfile.py): one member and one admission per accepted
admission (by its citizen ID), two transfer events per accepted transfer, one recognition per
accepted recognition, nothing for a refused or unanswered submission, every touched member's
cached state equal to its events replayed. It prints the table of response times (locust's
final statistics, in RESULTS.json) against the targets (p95 <= 300 ms, no failure) and exits 1
if anything misses.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thotnot_members.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from branches.access import may_edit_anything  # noqa: E402
from branches.models import Unit  # noqa: E402
from members.forms import cells_to_enter, cells_to_move_to  # noqa: E402
from members.models import Event, Member, Status  # noqa: E402
from members.selectors import probationers_due  # noqa: E402
from members.services import Decision, member_recognize, member_transfer  # noqa: E402

# The demo's accounts (devdata/demo.py), all with the demo's password.
PASSWORD = "thotnot-demo"
ACCOUNTS = ("bantochuc", "phuongthotnot", "lanhdao", "bithu.longthanh2")
# Citizen IDs of the admissions entered by the load test start with this; the demo has none.
CITIZEN_ID_PREFIX = "8"
TRANSFERS_PER_EDITOR_ACCOUNT = {"bantochuc": 400, "phuongthotnot": 150}
MEMBERS_PER_ACCOUNT = 400
TARGET_P95_MS = 300

K = Event.Kind


class _Rollback(Exception):
    pass


def _accepted(write) -> bool:
    """Whether the service accepts the write; nothing is kept either way."""
    try:
        with transaction.atomic():
            write()
            raise _Rollback
    except _Rollback:
        return True
    except Exception:
        return False


def _decision(today: datetime.date, number: str) -> Decision:
    return Decision(number=number, date=today, issuing_body="Đảng ủy (kiểm tra tải)")


def plan(path: Path) -> None:
    rng = random.Random(2026)
    today = timezone.localdate()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=ACCOUNTS)}
    if Member.objects.filter(citizen_id__startswith=CITIZEN_ID_PREFIX).exists():
        sys.exit(f"load_data: members with citizen IDs {CITIZEN_ID_PREFIX}… exist already")
    accounts = {}
    taken: set[int] = set()
    # The ward office first: its members are the board's too, and each pool must be its own.
    for username in ("phuongthotnot", "bantochuc", "lanhdao", "bithu.longthanh2"):
        user = users[username]
        member_ids = list(Member.objects.visible_to(user).values_list("pk", flat=True))
        editor = may_edit_anything(user)
        account = {
            "password": PASSWORD,
            "editor": editor,
            "units": sorted(Unit.objects.visible_to(user).values_list("code", flat=True)),
            "members": rng.sample(member_ids, min(MEMBERS_PER_ACCOUNT, len(member_ids))),
            "cells": [],
            "transfers": [],
            "recognitions": [],
        }
        if editor:
            account["cells"] = list(cells_to_enter(user, today).values_list("pk", flat=True))
            account["transfers"] = _transfers(user, today, taken, rng, username)
            account["recognitions"] = _recognitions(user, today, taken)
        accounts[username] = account
    snapshot = _snapshot()
    data = {"today": today.strftime("%d/%m/%Y"), "accounts": accounts, "before": snapshot}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    pools = {
        name: (len(a["transfers"]), len(a["recognitions"]))
        for name, a in accounts.items()
        if a["editor"]
    }
    print(f"load_data: plan written; (transfers, recognitions) per editor account: {pools}")


def _transfers(user, today, taken: set[int], rng, username: str) -> list[dict]:
    cells = list(cells_to_move_to(user, today))
    candidates = list(
        Member.objects.editable_by(user)
        .filter(status__in=[Status.OFFICIAL, Status.PROBATIONARY])
        .exclude(pk__in=taken)
        .select_related("unit")
    )
    rng.shuffle(candidates)
    chosen = []
    for member in candidates:
        if len(chosen) == TRANSFERS_PER_EDITOR_ACCOUNT[username]:
            break
        to = rng.choice([c for c in cells if c.pk != member.unit_id])
        if _accepted(
            lambda m=member, to=to: member_transfer(
                member=m, to_unit=to, effective_date=today, decision=_decision(today, "1-QĐ/TT")
            )
        ):
            chosen.append({"member": member.pk, "to_unit": to.pk})
            taken.add(member.pk)
    return chosen


def _recognitions(user, today, taken: set[int]) -> list[dict]:
    chosen = []
    for member in probationers_due(user, today):
        if member.pk in taken or member.probation_ends > today:
            continue
        if _accepted(
            lambda m=member: member_recognize(
                member=m, effective_date=today, decision=_decision(today, "1-QĐ/CN")
            )
        ):
            chosen.append({"member": member.pk})
            taken.add(member.pk)
    return chosen


def _snapshot() -> dict:
    last_member = Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return {
        "members": Member.objects.count(),
        "events": dict(Counter(Event.objects.values_list("kind", flat=True))),
        "last_member": last_member,
        "last_event": last_event,
    }


# --- after the run ------------------------------------------------------------------------------


def check(plan_path: Path, results_path: Path) -> int:
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    results = json.loads(results_path.read_text(encoding="utf-8"))
    before = data["before"]
    problems: list[str] = []

    new_events = Event.objects.filter(pk__gt=before["last_event"])
    new_members = Member.objects.filter(pk__gt=before["last_member"])
    by_kind = Counter(new_events.values_list("kind", flat=True))
    admitted = results["admitted"]
    transferred = results["transferred"]
    recognized = results["recognized"]

    # Admissions: one new member with each accepted citizen ID, and no other new member.
    ids = Counter(new_members.values_list("citizen_id", flat=True))
    for citizen_id in admitted:
        if ids[citizen_id] != 1:
            problems.append(f"admission {citizen_id}: {ids[citizen_id]} members in the database")
    extra = set(ids) - set(admitted)
    if extra:
        problems.append(f"{len(extra)} members written without an accepted submission: {extra}")
    admissions = Counter(
        new_events.filter(kind=K.ADMISSION).values_list("member__citizen_id", flat=True)
    )
    if admissions != Counter(admitted):
        missing, extra_events = Counter(admitted) - admissions, admissions - Counter(admitted)
        problems.append(f"admission events: missing {dict(missing)}, extra {dict(extra_events)}")

    # Transfers: an out and an in event for each accepted one, onto the planned cell.
    outs = Counter(new_events.filter(kind=K.TRANSFER_OUT).values_list("member", flat=True))
    ins = dict(new_events.filter(kind=K.TRANSFER_IN).values_list("member", "unit"))
    for item in transferred:
        member = item["member"]
        if outs[member] != 1 or ins.get(member) != item["to_unit"]:
            problems.append(f"transfer of {member}: {outs[member]} out, in to {ins.get(member)}")
    if sum(outs.values()) != len(transferred) or len(ins) != len(transferred):
        problems.append(f"transfer events {sum(outs.values())} != accepted {len(transferred)}")

    recognitions = Counter(new_events.filter(kind=K.RECOGNITION).values_list("member", flat=True))
    if recognitions != Counter(item["member"] for item in recognized):
        problems.append(f"recognitions {dict(recognitions)} != accepted {recognized}")

    other = set(by_kind) - {K.ADMISSION, K.TRANSFER_OUT, K.TRANSFER_IN, K.RECOGNITION}
    if other:
        problems.append(f"unexpected events written: {other}")
    if Member.objects.count() - before["members"] != len(admitted):
        problems.append("the number of members changed by more than the accepted admissions")

    touched = {*(m.pk for m in new_members), *(i["member"] for i in transferred + recognized)}
    for member in Member.objects.filter(pk__in=touched):
        if member.derived_state() != member.state:
            problems.append(f"member {member.pk}: cached state differs from its events")

    print(
        f"\nwritten: {len(admitted)} admissions, {len(transferred)} transfers, "
        f"{len(recognized)} recognitions accepted; database: {sum(admissions.values())} "
        f"admissions, {sum(outs.values())} transfers, {sum(recognitions.values())} recognitions; "
        f"{results['unanswered']} submissions unanswered, {results['refused']} refused"
    )
    for problem in problems:
        print(f"  LOST OR DUPLICATED: {problem}")
    misses = print_table(results["pages"])
    sign_ins = sorted(results["sign_in_ms"])
    if len(sign_ins) >= 2:
        cuts = statistics.quantiles(sign_ins, n=20)
        print(
            f"sign-in (form and POST, {len(sign_ins)} while the users were spawned): "
            f"p50 {statistics.median(sign_ins):.0f} ms, p95 {cuts[18]:.0f} ms"
        )
    ok = not problems and not misses
    print("\nresult:", "all targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


def print_table(pages: list[dict]) -> int:
    print(f"\n{'page':<24}{'requests':>9}{'errors':>8}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    misses = 0
    for row in pages:
        total = row["name"] == "Aggregated"
        miss = not total and (row["p95"] > TARGET_P95_MS or row["failures"] > 0)
        misses += miss
        print(
            f"{'all requests' if total else row['name']:<24}{row['requests']:>9}"
            f"{row['failures']:>8}{row['p50']:>8.0f}{row['p95']:>8.0f}{row['max']:>8.0f}"
            + ("  MISSES TARGET" if miss else "")
        )
    return misses


if __name__ == "__main__":
    command, *args = sys.argv[1:] or [""]
    if command == "plan" and len(args) == 1:
        plan(Path(args[0]))
    elif command == "check" and len(args) == 2:
        sys.exit(check(*map(Path, args)))
    else:
        sys.exit(__doc__)
