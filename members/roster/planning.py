"""Planning an import's rows: step 2 of a check and of a commit, before each member is applied.

Every member row is matched to a member already recorded (by citizen ID, else party card
number) or planned as a new one (with the likely duplicates: the same folded name and date of
birth), and every events row as an event already recorded or a new one; each row's errors are
the rules that need no service (who may import where, which cells a row needs). Planning
drives the pass: a chunk of members at a time, it makes the chunk's lookups, plans each row and
hands that member's history to ``applying.apply``. The pass's state is a ``context.Run``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from branches.models import Unit, UnitAncestry
from common.vntext import fold

from ..models import Event, Member, RosterImportRow
from ..models import Status as MemberStatus
from . import applying
from .columns import RECORD_KEYS, EventAction, Sheet, decode, to_json
from .context import Run, add_error, require

K = Event.Kind
Action = RosterImportRow.Action

CHUNK = 500  # members planned and checked at a time
# Kinds of the events sheet that name a cell of this system in "Mã chi bộ".
_TO_UNIT = {
    EventAction.TRANSFER: True,
    EventAction.TRANSFER_IN: True,
    EventAction.RESTORATION: True,
    EventAction.READMISSION: True,
    EventAction.TEMPORARY_TRANSFER: False,  # optional: or a name outside the system
}


# --- the whole file ---


def plan_and_apply(run: Run) -> None:
    """Plan every staged row of ``run.ri`` and apply each member's history, a chunk at a time."""
    member_rows = run.ri.rows.filter(sheet=Sheet.MEMBERS)
    for chunk in _chunks(member_rows, CHUNK):
        events = _event_rows_of(run, chunk)
        _members_chunk(run, chunk, events)
    # Events of members not on the members sheet: members already recorded.
    orphans = run.ri.rows.filter(sheet=Sheet.EVENTS).exclude(
        key__in=run.ri.rows.filter(sheet=Sheet.MEMBERS).values("key")
    )
    for keys in _key_chunks(orphans):
        rows = list(orphans.filter(key__in=keys).order_by("number"))
        _orphans(run, rows)


def _chunks(rows_query, size: int) -> Iterator[list[RosterImportRow]]:
    """Staged rows in order, ``size`` at a time, by keyset (safe while the rows are updated)."""
    last = 0
    while True:
        chunk = list(rows_query.filter(number__gt=last).order_by("number")[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].number


def _key_chunks(rows_query) -> Iterator[list[str]]:
    last = ""
    while True:
        keys = list(
            rows_query.filter(key__gt=last)
            .order_by("key")
            .values_list("key", flat=True)
            .distinct()[:CHUNK]
        )
        if not keys:
            return
        yield keys
        last = keys[-1]


def _event_rows_of(run: Run, chunk: list[RosterImportRow]) -> dict[str, list[RosterImportRow]]:
    found: dict[str, list[RosterImportRow]] = defaultdict(list)
    keys = [r.key for r in chunk]
    for row in run.ri.rows.filter(sheet=Sheet.EVENTS, key__in=keys).order_by("number"):
        found[row.key].append(row)
    return found


# --- shared lookups for a chunk ---


def resolve_units(texts: set[str]) -> tuple[dict[str, Unit], dict[str, str]]:
    """The units a roster's unit cells name (issue 28): a unit's code; else its exact name;
    where names repeat (the 2025 wards reuse the old ones), "name, ward": the unit of that name
    under a unit whose name ends with the ward's (accents and case aside), e.g. "Chi bộ khu
    vực 1, phường An Hòa". Returns text -> unit, and text -> why it names none."""
    found = {u.code: u for u in Unit.objects.filter(code__in=texts)} if texts else {}
    problems: dict[str, str] = {}
    wanted: dict[str, tuple[str, str]] = {}
    for text in texts - found.keys():
        name, _comma, ward = text.partition(",")
        wanted[text] = (" ".join(name.split()), fold(ward))
    if not wanted:
        return found, problems
    named: dict[str, list[Unit]] = defaultdict(list)
    for unit in Unit.objects.filter(
        name__in={n for n, _w in wanted.values()} | set(wanted)
    ).order_by("pk"):
        named[unit.name].append(unit)
    ancestors: dict[int, list[str]] = defaultdict(list)
    ambiguous = [u.pk for units in named.values() if len(units) > 1 for u in units]
    if ambiguous and any(ward for _n, ward in wanted.values()):
        for unit_id, ancestor in UnitAncestry.objects.filter(unit_id__in=ambiguous).values_list(
            "unit_id", "ancestor__name"
        ):
            ancestors[unit_id].append(fold(ancestor))
    for text, (name, ward) in wanted.items():
        units = named.get(text) or named.get(name) or []
        if ward and len(units) > 1:
            units = [u for u in units if any(a.endswith(ward) for a in ancestors[u.pk])]
        if len(units) == 1:
            found[text] = units[0]
        elif len(units) > 1:
            problems[text] = _(
                "Có %(count)s đơn vị tên “%(name)s”: ghi mã chi bộ, hoặc tên kèm đảng bộ, "
                "ví dụ “%(name)s, phường …”."
            ) % {"count": len(units), "name": name}
    return found, problems


def units_of(run: Run, rows: Iterable[RosterImportRow]) -> tuple[dict[str, Unit], set[int]]:
    codes = {r.values["unit_code"] for r in rows if "unit_code" in r.values}
    units, problems = resolve_units(codes)
    run.unit_problems.update(problems)
    if run.user is None or run.user.is_superuser:
        editable = {u.pk for u in units.values()}
    elif units:
        editable = set(
            Unit.objects.editable_by(run.user)
            .filter(pk__in=[u.pk for u in units.values()])
            .values_list("pk", flat=True)
        )
    else:
        editable = set()
    return units, editable


def may_edit_records(run: Run, members: Iterable[Member]) -> set[int]:
    """The members (of ``members``) whose file the user may change."""
    ids = [m.pk for m in members]
    if run.user is None or run.user.is_superuser or not ids:
        return set(ids)
    return set(Member.objects.editable_by(run.user).filter(pk__in=ids).values_list("pk", flat=True))


def known_events(run: Run, members: Iterable[Member]) -> set[tuple]:
    """(member, kind, date, decision number) of the events already recorded; and, in
    ``run.starts``, what the members sheet says of each member's start: the cell they
    joined, the date of their first admission, of their first recognition."""
    ids = [m.pk for m in members]
    known: set[tuple] = set()
    run.starts = {}
    if not ids:
        return known
    rows = Event.objects.filter(member__in=ids).order_by("member_id", "effective_date", "pk")
    for member_id, kind, day, number, unit_id in rows.values_list(
        "member_id", "kind", "effective_date", "decision_no", "unit_id"
    ):
        known.add((member_id, kind, day, number))
        start = run.starts.get(member_id)
        if start is None:
            admitted = day if kind == K.ADMISSION else None
            run.starts[member_id] = {"unit": unit_id, "admitted": admitted, "recognized": None}
        elif kind == K.RECOGNITION and start["recognized"] is None:
            start["recognized"] = day
    run.known = known
    return known


# --- a chunk of members ---


def _members_chunk(
    run: Run, chunk: list[RosterImportRow], events: dict[str, list[RosterImportRow]]
) -> None:
    units, editable = units_of(run, [*chunk, *(r for rs in events.values() for r in rs)])
    values = {r.pk: decode(Sheet.MEMBERS, r.values) for r in chunk}
    cids = {v["citizen_id"] for v in values.values() if "citizen_id" in v}
    cards = {v["party_card_no"] for v in values.values() if "party_card_no" in v}
    members = Member.objects.select_related("unit", "record_unit")
    by_cid = {m.citizen_id: m for m in members.filter(citizen_id__in=cids)} if cids else {}
    by_card = {m.party_card_no: m for m in members.filter(party_card_no__in=cards)} if cards else {}
    matched = {m.pk: m for m in [*by_cid.values(), *by_card.values()]}
    may_edit = may_edit_records(run, matched.values())
    known = known_events(run, matched.values())
    people = people_like(chunk, values, by_cid, by_card)

    for row in chunk:
        # What the check planned (a skip is the user's decision on a planned creation).
        planned = Action.CREATE if row.action == Action.SKIP else row.action
        before = (planned, row.member_id, row.member_version)
        v = values[row.pk]
        row.notes, row.changes = [], {}
        member = by_cid.get(v.get("citizen_id"))
        card_owner = by_card.get(v.get("party_card_no"))
        if member is not None and card_owner is not None and card_owner.pk != member.pk:
            add_error(
                row,
                "party_card_no",
                _("Số thẻ này thuộc hồ sơ “%(card)s”, còn số CCCD thuộc hồ sơ “%(cid)s”.")
                % {"card": card_owner, "cid": member},
            )
        member = member or card_owner
        if member is None:
            plan_new(run, row, v, units, editable, people)
        else:
            plan_existing(run, row, v, member, may_edit, units)
        planned = Action.CREATE if row.action == Action.SKIP else row.action
        if run.commit and (planned, row.member_id, row.member_version) != before:
            run.mark_stale(row)
        event_rows = events.get(row.key, [])
        if row.action == Action.SKIP:
            for event_row in event_rows:
                event_row.action = Action.SKIP
        else:
            plan_events(
                run, event_rows, member, units, editable, known, may_edit, v.get("full_name")
            )
        applying.apply(run, row, v, member, event_rows, units)
    applying.save(run, [*chunk, *(r for rs in events.values() for r in rs)])


def people_like(chunk, values, by_cid, by_card) -> dict[tuple, Member]:
    """Members already recorded with the same folded name and date of birth as a new row."""
    new = [
        (fold(v["full_name"]), v["date_of_birth"])
        for r in chunk
        if "full_name" in (v := values[r.pk])
        and "date_of_birth" in v
        and v.get("citizen_id") not in by_cid
        and v.get("party_card_no") not in by_card
    ]
    if not new:
        return {}
    found: dict[tuple[str, datetime.date], Member] = {}
    for m in Member.objects.filter(
        name_folded__in={name for name, _born in new},
        date_of_birth__in={born for _name, born in new},
    ).order_by("pk"):
        found.setdefault((m.name_folded, m.date_of_birth), m)
    return found


def plan_new(run: Run, row, v, units, editable, people) -> None:
    row.member_id, row.member_version = None, None
    like = None
    if "full_name" in v and "date_of_birth" in v:
        like = people.get((fold(v["full_name"]), v["date_of_birth"]))
    if like is not None:
        row.duplicate_of = _("Trùng họ tên và ngày sinh với hồ sơ “%(member)s” (mã %(pk)s).") % {
            "member": like,
            "pk": like.pk,
        }
    elif row.duplicate_row is not None:
        row.duplicate_of = _("Trùng họ tên và ngày sinh với dòng %(row)s của tệp.") % {
            "row": row.duplicate_row
        }
    else:
        row.duplicate_of = ""
    row.action = Action.SKIP if row.decision == row.Decision.SKIP else Action.CREATE
    if row.action == Action.SKIP:
        return
    if run.commit and row.duplicate_of and not row.decision:
        add_error(row, "", _("Dòng này mới bị nghi trùng từ khi kiểm tra; hãy kiểm tra lại."))
    code = v.get("unit_code")
    if code and code not in units:
        add_error(row, "unit_code", run.no_unit(code))
    elif code and not units[code].holds_members:
        add_error(row, "unit_code", _("“%(unit)s” không phải chi bộ.") % {"unit": units[code]})
    elif code and units[code].pk not in editable:
        add_error(
            row,
            "unit_code",
            _("Bạn không có quyền nhập đảng viên vào “%(unit)s”.") % {"unit": units[code]},
        )
    if v.get("directive") and v["directive"] not in run.directives:
        add_error(row, "directive", _("Không có chỉ thị “%(code)s”.") % {"code": v["directive"]})
    admission = "admission_no" in v
    arrival = [k for k in ("origin", "arrived_on", "arrival_no") if k in v]
    if admission and arrival:
        add_error(
            row,
            "origin",
            _("Một người hoặc được kết nạp, hoặc được tiếp nhận: không ghi cả hai."),
        )
    elif admission:
        if "admitted_on" not in v:
            message = _("Cần ghi ngày vào Đảng (ngày quyết định kết nạp).")
            require(row, "admitted_on", message)
    elif arrival:
        for key in ("origin", "arrived_on", "arrival_no", "admitted_on"):
            if key not in v:
                require(row, key, _("Cần nhập ô này cho đảng viên chuyển đến."))
    else:
        require(
            row,
            "admission_no",
            _(
                "Cần ghi Số quyết định kết nạp (người được kết nạp), hoặc Chuyển đến từ, "
                "Ngày chuyển đến và Số quyết định tiếp nhận (người chuyển đến)."
            ),
        )
    if "recognition_no" in v and "recognized_on" not in v:
        require(row, "recognized_on", _("Có số quyết định công nhận nhưng thiếu ngày."))


def plan_existing(run: Run, row, v, member: Member, may_edit: set[int], units) -> None:
    row.member_id, row.member_version = member.pk, member.version
    if row.duplicate_of:
        row.duplicate_of = ""  # matched by ID: the same person, not a look-alike
    for key in RECORD_KEYS:
        new = v.get(key)
        if new is None:
            continue  # a blank cell leaves the record as it is (never clears an ID)
        old = getattr(member, key)
        if new != old:
            row.changes[key] = [to_json(old), to_json(new)]
    row.action = Action.UPDATE if row.changes else Action.UNCHANGED
    if row.changes and member.pk not in may_edit:
        add_error(row, "", _("Bạn không có quyền sửa hồ sơ của đảng viên này."))
    # The sheet tells how the member started here; the record may have moved on since.
    start = run.starts.get(member.pk, {})
    unit = units.get(v.get("unit_code"))
    if unit is not None and start.get("unit") not in (None, unit.pk):
        row.notes.append(
            _(
                "Chi bộ trong tệp (%(file)s) khác chi bộ kết nạp hoặc tiếp nhận trong hồ sơ: "
                "không đổi (chuyển sinh hoạt ghi ở trang Sự kiện)."
            )
            % {"file": unit.code}
        )
    admitted = start.get("admitted") or member.admitted_on
    if "admitted_on" in v and v["admitted_on"] != admitted:
        row.notes.append(_("Ngày vào Đảng trong tệp khác hồ sơ: không đổi."))
    recognized = {start.get("recognized"), member.recognized_on}
    to_recognize = "recognition_no" in v and member.status == MemberStatus.PROBATIONARY
    if "recognized_on" in v and v["recognized_on"] not in recognized and not to_recognize:
        row.notes.append(_("Ngày chính thức trong tệp khác hồ sơ: không đổi."))


def plan_events(
    run: Run, rows, member: Member | None, units, editable, known, may_edit, name=None
) -> None:
    """Plan the event rows of one member (``None``: a member this import creates)."""
    for row in rows:
        row.notes = []
        v = decode(Sheet.EVENTS, row.values)
        action = v.get("action")
        if member is not None and action and "effective_date" in v:
            kind = K.TRANSFER_OUT if action == EventAction.TRANSFER else action
            if (member.pk, kind, v["effective_date"], v.get("decision_no", "")) in known:
                row.action = Action.KNOWN_EVENT
                continue
        row.action = Action.NEW_EVENT
        expected = member.full_name if member is not None else name
        if expected and v.get("full_name") and fold(v["full_name"]) != fold(expected):
            add_error(
                row,
                "full_name",
                _("Họ tên khác hồ sơ có số này (“%(name)s”): kiểm tra lại số CCCD, số thẻ.")
                % {"name": expected},
            )
        if member is not None and member.pk not in may_edit:
            add_error(row, "", _("Bạn không có quyền ghi sự kiện cho đảng viên này."))
        code = v.get("unit_code")
        if action in _TO_UNIT and code:
            if code not in units:
                add_error(row, "unit_code", run.no_unit(code))
            elif units[code].pk not in editable and action != EventAction.TEMPORARY_TRANSFER:
                add_error(
                    row,
                    "unit_code",
                    _("Bạn không có quyền nhập đảng viên vào “%(unit)s”.") % {"unit": units[code]},
                )
        elif _TO_UNIT.get(action) and not code:
            require(row, "unit_code", _("Cần ghi mã chi bộ đến."))
        if v.get("directive") and v["directive"] not in run.directives:
            add_error(
                row, "directive", _("Không có chỉ thị “%(code)s”.") % {"code": v["directive"]}
            )


def _orphans(run: Run, rows: list[RosterImportRow]) -> None:
    """Event rows of members who are not on the members sheet: found in the database."""
    cids = {r.values["citizen_id"] for r in rows if "citizen_id" in r.values}
    cards = {r.values["party_card_no"] for r in rows if "party_card_no" in r.values}
    by_cid = {m.citizen_id: m for m in Member.objects.filter(citizen_id__in=cids)}
    by_card = {m.party_card_no: m for m in Member.objects.filter(party_card_no__in=cards)}
    units, editable = units_of(run, rows)
    grouped: dict[str, list[RosterImportRow]] = defaultdict(list)
    for row in rows:
        grouped[row.key].append(row)
    members = {}
    for key, group in grouped.items():
        first = group[0].values
        member = by_cid.get(first.get("citizen_id")) or by_card.get(first.get("party_card_no"))
        members[key] = member
    found = [m for m in members.values() if m is not None]
    known = known_events(run, found)
    may_edit = may_edit_records(run, found)
    for key, group in grouped.items():
        member = members[key]
        if member is None:
            for row in group:
                row.action = Action.NONE
                if not row.errors:
                    add_error(
                        row,
                        "citizen_id",
                        _(
                            "Không tìm thấy đảng viên có số này, ở trang Đảng viên hay "
                            "trong hệ thống."
                        ),
                    )
            continue
        plan_events(run, group, member, units, editable, known, may_edit)
        applying.apply(run, None, None, member, group, units)
    applying.save(run, rows)
