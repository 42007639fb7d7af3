"""Synthetic party data at any scale: a whole tree and twenty years of history, fast.

``generate(members=N, seed=S)`` builds, deterministically for a seed (same seed, same rows, same
ids on an empty database):

- the tree: the centre, provinces (up to 34), commune and ward committees (above grassroots,
  ~16 grassroots organizations each), grassroots committees (with cells, sometimes grouped under
  intermediate committees) and grassroots cells, sized like the Party (5.6 million members,
  ~52,000 grassroots organizations, ~270,000 cells at N = 5,600,000), with the kinds' rules of
  ``Unit.CHILD_KINDS``; and some reorganization: a few grassroots organizations moved between
  communes, a few communes merged into a neighbour on 01/07/2025 (dissolved, their
  organizations moved), a few cells dissolved into a sibling (their members transferred first),
  a few units founded during the twenty years;
- N members on a roll at the end (``until``, 31/12/2025 by default), and about a tenth more
  who left (died, struck off, discharged, expelled, transferred out), with every kind of event:
  admissions since 1970 (age 18-60), recognitions 12 months after the ceremony, transfers
  between cells, temporary transfers, exemptions, re-admissions (once, 36 months after a
  removal that allows it), restorations, arrivals from outside; removals and admissions since
  2019 mostly under Directive 28-CT/TW.

It bypasses the event services for speed (bulk inserts; COPY on PostgreSQL), so it writes
exactly what they would: ``Event`` rows that satisfy every check constraint and every rule the
services check, the ``Membership`` periods they open and close, the cached ``Member.status``,
``unit``, ``record_unit``, ``admitted_on`` and ``recognized_on`` (``MemberState.after`` applied
to the same events), ``name_folded`` and ``name_sort_key`` from ``members.text``, the
``UnitParent`` links and the ``UnitAncestry`` closure computed by
``branches.services.compute_ancestry`` (the rows ``rebuild_ancestry`` writes) and the
``Unit.spans_tree`` flag (``branches.services.mark_spanning_root``). It writes no
django-simple-history rows (the synthetic records have no author and no past edits) and no
users. ``tests/members/test_synthetic.py`` checks all of that on small N.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import random
import time
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction

from branches.models import Unit, UnitAncestry, UnitParent
from branches.services import FOREVER, compute_ancestry, load_tree, mark_spanning_root

from . import choices
from .demo import FAMILY, GIVEN_FEMALE, GIVEN_MALE, MIDDLE_FEMALE, MIDDLE_MALE, REAL_NAMES
from .models import Directive, Event, Member, MemberName, Membership, Status
from .services import MAX_ADMISSION_AGE, PROBATION_MONTHS, READMISSION_WAIT_MONTHS, add_months
from .text import fold, name_sort_floor, name_sort_key

D = datetime.date
DAY = datetime.timedelta(days=1)
K = Event.Kind
R = Event.Reason
UK = Unit.Kind

# The Party's proportions (2025): members per grassroots organization, grassroots organizations
# per commune or ward committee, commune and ward committees per province.
MEMBERS_PER_ORG = 108
ORGS_PER_COMMUNE = 16
COMMUNES_PER_PROVINCE = 98
UNTIL = D(2025, 12, 31)
YEARS = 20
FOUNDED = D(1960, 1, 1)  # the units that exist from the start
FIRST_ADMISSION = D(1970, 1, 1)
DIRECTIVE_28 = D(2019, 1, 21)
MERGER_DAY = D(2025, 7, 1)
FLUSH_MEMBERS = 20_000  # members written per batch

# The 34 provinces and centrally governed cities of 2025 (True: a city).
PROVINCES = (
    ("Hà Nội", True),
    ("Huế", True),
    ("Lai Châu", False),
    ("Điện Biên", False),
    ("Sơn La", False),
    ("Lạng Sơn", False),
    ("Quảng Ninh", False),
    ("Thanh Hóa", False),
    ("Nghệ An", False),
    ("Hà Tĩnh", False),
    ("Cao Bằng", False),
    ("Tuyên Quang", False),
    ("Lào Cai", False),
    ("Thái Nguyên", False),
    ("Phú Thọ", False),
    ("Bắc Ninh", False),
    ("Hưng Yên", False),
    ("Hải Phòng", True),
    ("Ninh Bình", False),
    ("Quảng Trị", False),
    ("Đà Nẵng", True),
    ("Quảng Ngãi", False),
    ("Gia Lai", False),
    ("Khánh Hòa", False),
    ("Lâm Đồng", False),
    ("Đắk Lắk", False),
    ("Hồ Chí Minh", True),
    ("Đồng Nai", False),
    ("Tây Ninh", False),
    ("Cần Thơ", True),
    ("Vĩnh Long", False),
    ("Đồng Tháp", False),
    ("Cà Mau", False),
    ("An Giang", False),
)
# Syllables of place names ("Tân Phú", "Long Hòa").
PLACE = (
    "An Bình Châu Đông Hòa Hưng Hiệp Hải Khánh Kim Lạc Lâm Lộc Long Lợi Mỹ Minh Nam Nghĩa "
    "Ngọc Phong Phú Phúc Phước Quang Quý Sơn Tân Tây Thạnh Thái Thành Thịnh Thuận Tiến Trung "
    "Vĩnh Xuân Yên Bắc Cát Định Giang Hà Hội Lập Nhơn Tường Thủy Vân"
).split()
MORE_FAMILY = "Nguyễn Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Hồ Ngô Dương Lý Trịnh Đoàn".split()
MORE_GIVEN_MALE = (
    "Bảo Chiến Công Đăng Giang Hiển Hùng Huy Kiên Lực Mạnh Nhật Quân Quyết Sỹ Thành Thông "
    "Tiến Tú Tường Văn Vương Hưng Hiệp"
).split()
MORE_GIVEN_FEMALE = (
    "Hậu Hoài Hường Khuê Lệ Loan Ly Nhàn Nhi Phương Quế Sen Thơ Thủy Trinh Vy".split()
)
ALL_FAMILY = (*FAMILY, *MORE_FAMILY)
ALL_GIVEN_MALE = (*GIVEN_MALE, *MORE_GIVEN_MALE)
ALL_GIVEN_FEMALE = (*GIVEN_FEMALE, *MORE_GIVEN_FEMALE)
OUTSIDE = (
    "Đảng bộ Quân đội",
    "Đảng bộ Công an Trung ương",
    "Đảng bộ ngoài nước",
    "Đảng bộ Khối các cơ quan Trung ương",
    "Đảng bộ Chính phủ",
)


@dataclasses.dataclass
class PlannedUnit:
    id: int
    code: str
    name: str
    kind: str
    founded_on: datetime.date
    parent_id: int | None
    province: int = 0
    place: str = ""  # the commune or ward's name, for addresses and titles
    profile: str = "area"  # shapes occupations
    org_id: int | None = None  # holding units: their grassroots organization
    dissolved_on: datetime.date | None = None
    successor_id: int | None = None
    target: int = 0  # members on the roll at the end
    weight: float = 1.0

    @property
    def holds_members(self) -> bool:
        return self.kind in Unit.MEMBER_KINDS

    def last_day(self, until: datetime.date) -> datetime.date:
        """The last day a member may be on its roll (the day before its dissolution)."""
        return min(until, self.dissolved_on - DAY) if self.dissolved_on else until


@dataclasses.dataclass
class Tree:
    units: list[PlannedUnit]
    links: list[tuple[int, int, datetime.date, datetime.date | None]]  # unit, parent, from, to
    orgs: list[PlannedUnit]  # grassroots organizations, in order
    holding: dict[int, list[PlannedUnit]]  # org id -> its cells (or itself)
    province_cells: dict[int, list[PlannedUnit]]  # province -> cells that are never dissolved
    by_id: dict[int, PlannedUnit]
    root: PlannedUnit
    # Dissolved cells, by their successor's id.
    merged_into: dict[int, list[PlannedUnit]] = dataclasses.field(default_factory=dict)


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` in parts proportional to ``weights`` (largest remainder: exact, deterministic)."""
    whole = sum(weights)
    if not weights or whole <= 0:
        return [0] * len(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _place(rng: random.Random) -> str:
    first, second = rng.sample(PLACE, 2)
    return f"{first} {second}"


def plan_tree(*, members: int, seed: int, first_id: int, until: datetime.date) -> Tree:
    """The tree for ``members`` members: units with ids from ``first_id``, their links, the
    reorganization, each cell's roll at the end (summing to ``members``)."""
    rng = random.Random(f"{seed}:tree")
    start = D(until.year - YEARS + 1, 1, 1)
    n_orgs = max(2, round(members / MEMBERS_PER_ORG))
    n_communes = max(2, round(n_orgs / ORGS_PER_COMMUNE))
    n_provinces = max(1, min(len(PROVINCES), round(n_communes / COMMUNES_PER_PROVINCE)))
    ids = iter(range(first_id, 2**62))
    units: list[PlannedUnit] = []
    links: list[list] = []  # [unit, parent, from, to]

    def add(code, name, kind, parent: PlannedUnit | None, founded=FOUNDED, **fields):
        unit = PlannedUnit(
            id=next(ids),
            code=code,
            name=name,
            kind=kind,
            founded_on=founded,
            parent_id=parent.id if parent else None,
            **fields,
        )
        units.append(unit)
        if parent is not None:
            links.append([unit.id, parent.id, founded, None])
        return unit

    prefix = f"syn{seed}"
    root = add(prefix, "Đảng Cộng sản Việt Nam (dữ liệu mô phỏng)", UK.ABOVE_GRASSROOTS, None)
    province_communes = _split(n_communes, [rng.uniform(0.6, 1.4) for _ in range(n_provinces)])
    communes: list[PlannedUnit] = []
    for p, n in enumerate(province_communes):
        name, city = PROVINCES[p]
        province = add(
            f"{prefix}-t{p + 1:02d}",
            f"Đảng bộ {'thành phố' if city else 'tỉnh'} {name}",
            UK.ABOVE_GRASSROOTS,
            root,
            province=p,
        )
        for c in range(max(1, n)):
            place = _place(rng)
            ward = rng.random() < (0.6 if city else 0.2)
            communes.append(
                add(
                    f"{province.code}-x{c + 1:03d}",
                    f"Đảng bộ {'phường' if ward else 'xã'} {place}",
                    UK.ABOVE_GRASSROOTS,
                    province,
                    province=p,
                    place=f"{'phường' if ward else 'xã'} {place}",
                )
            )
    commune_orgs = _split(n_orgs, [rng.uniform(0.5, 1.5) for _ in communes])
    orgs: list[PlannedUnit] = []
    holding: dict[int, list[PlannedUnit]] = {}
    for commune, n in zip(communes, commune_orgs, strict=True):
        for o in range(n):
            founded = FOUNDED if rng.random() > 0.02 else _day_between(rng, start, D(2022, 12, 1))
            common = {"province": commune.province, "place": commune.place}
            code = f"{commune.code}-g{o + 1:03d}"
            if rng.random() < 0.5:  # a grassroots committee and its cells
                profile = rng.choice(("area", "area", "police", "agency", "enterprise", "school"))
                org = add(
                    code,
                    _committee_name(rng, profile, commune.place, o),
                    UK.GRASSROOTS_COMMITTEE,
                    commune,
                    founded,
                    profile=profile,
                    **common,
                )
                n_cells = rng.randint(3, 16)
                parents = [(org, "c")]
                if n_cells >= 12 and rng.random() < 0.3:  # cells grouped in intermediate ones
                    parents = [
                        (
                            add(
                                f"{code}-b{b + 1}",
                                f"Đảng bộ bộ phận {b + 1} ({org.name})",
                                UK.INTERMEDIATE_COMMITTEE,
                                org,
                                founded,
                                profile=profile,
                                **common,
                            ),
                            f"b{b + 1}c",
                        )
                        for b in range(rng.randint(2, 3))
                    ]
                cells = []
                for k in range(n_cells):
                    parent, mark = parents[k % len(parents)]
                    late = founded == FOUNDED and rng.random() < 0.03
                    cells.append(
                        add(
                            f"{code}-{mark}{k + 1:02d}",
                            _cell_name(profile, k),
                            UK.CELL,
                            parent,
                            _day_between(rng, start, D(2023, 12, 1)) if late else founded,
                            profile=profile,
                            org_id=org.id,
                            weight=rng.uniform(0.3, 1.9),
                            **common,
                        )
                    )
                holding[org.id] = cells
            else:  # a grassroots cell: it keeps the roll itself
                profile = rng.choice(("area", "area", "agency", "school", "health", "enterprise"))
                org = add(
                    code,
                    _grassroots_cell_name(rng, profile, commune.place),
                    UK.GRASSROOTS_CELL,
                    commune,
                    founded,
                    profile=profile,
                    weight=rng.uniform(0.3, 3.0) * 1.7,
                    **common,
                )
                org.org_id = org.id
                holding[org.id] = [org]
            orgs.append(org)

    by_id = {u.id: u for u in units}
    tree = Tree(
        units=units,
        links=[],
        orgs=orgs,
        holding=holding,
        province_cells={},
        by_id=by_id,
        root=root,
    )
    _reorganize(rng, tree, links, communes, start, _merger_day(until))
    tree.links = [tuple(link) for link in links]
    targets = [u for u in units if u.holds_members and u.dissolved_on is None]
    for unit, target in zip(targets, _split(members, [u.weight for u in targets]), strict=True):
        unit.target = target
    for unit in targets:
        tree.province_cells.setdefault(unit.province, []).append(unit)
    return tree


def _committee_name(rng, profile: str, place: str, index: int) -> str:
    return {
        "area": f"Đảng bộ khu dân cư số {index + 1} {place}",
        "police": f"Đảng bộ Công an {place}",
        "agency": f"Đảng bộ các cơ quan {place}",
        "enterprise": f"Đảng bộ Công ty cổ phần {_place(rng)}",
        "school": f"Đảng bộ Trường Trung học phổ thông {_place(rng)}",
    }[profile]


def _grassroots_cell_name(rng, profile: str, place: str) -> str:
    return {
        "area": f"Chi bộ {rng.choice(('ấp', 'thôn', 'khu phố'))} {_place(rng)}",
        "agency": f"Chi bộ Ủy ban Mặt trận Tổ quốc {place}",
        "school": f"Chi bộ Trường Tiểu học {_place(rng)}",
        "health": f"Chi bộ Trạm Y tế {place}",
        "enterprise": f"Chi bộ Công ty TNHH {_place(rng)}",
    }[profile]


def _cell_name(profile: str, index: int) -> str:
    return {
        "area": f"Chi bộ tổ dân phố {index + 1}",
        "police": f"Chi bộ Đội nghiệp vụ {index + 1}",
        "agency": f"Chi bộ cơ quan {index + 1}",
        "enterprise": f"Chi bộ Phân xưởng {index + 1}",
        "school": f"Chi bộ Tổ chuyên môn {index + 1}",
    }[profile]


def _merger_day(until: datetime.date) -> datetime.date:
    return MERGER_DAY if until >= MERGER_DAY else D(until.year, 1, 1)


def _reorganize(rng, tree: Tree, links: list[list], communes, start, merger) -> None:
    """Moves, mergers and dissolutions, written as ``branches.services`` would: a move closes
    the unit's open link and opens one from that day; a dissolution closes the unit's link on
    its last day + 1, once its children have moved and its members left."""
    by_parent_open = {}  # unit id -> its links, in order
    for link in links:
        by_parent_open.setdefault(link[0], []).append(link)

    def move(unit_id: int, new_parent: PlannedUnit, on: datetime.date) -> None:
        current = by_parent_open[unit_id][-1]
        assert current[3] is None and on > current[2] and current[1] != new_parent.id
        current[3] = on
        new = [unit_id, new_parent.id, on, None]
        links.append(new)
        by_parent_open[unit_id].append(new)

    by_province: dict[int, list[PlannedUnit]] = {}
    for commune in communes:
        by_province.setdefault(commune.province, []).append(commune)
    candidates = [cs for cs in by_province.values() if len(cs) >= 2]
    if candidates:
        # Communes merged into a neighbour on 01/07/2025 (the 2025 reform, in miniature).
        merged: set[int] = set()
        for _ in range(max(1, round(len(communes) * 0.03))):
            group = rng.choice(candidates)
            alive = [c for c in group if c.id not in merged]
            if len(alive) < 2:
                continue
            gone, successor = rng.sample(alive, 2)
            merged.add(gone.id)
            gone.dissolved_on, gone.successor_id = merger, successor.id
        # Grassroots organizations moved to another commune of their province (before that).
        for _ in range(max(1, round(len(tree.orgs) * 0.01))):
            org = rng.choice(tree.orgs)
            current = by_parent_open[org.id][-1]
            targets = [
                c for c in by_province[org.province] if c.id not in merged and c.id != current[1]
            ]
            on = _day_between(rng, max(org.founded_on, start) + 40 * DAY, merger - 200 * DAY)
            on = on.replace(day=1)
            if targets and on > current[2] and on > org.founded_on:
                move(org.id, rng.choice(targets), on)
        children: dict[int, list[int]] = {}
        for unit_id, unit_links in by_parent_open.items():
            if unit_links[-1][3] is None:
                children.setdefault(unit_links[-1][1], []).append(unit_id)
        for commune in communes:
            if commune.dissolved_on is None:
                continue
            successor = tree.by_id[commune.successor_id]
            for unit_id in children.get(commune.id, []):
                move(unit_id, successor, merger)
            by_parent_open[commune.id][-1][3] = merger
    # Cells dissolved into a sibling: their members are transferred there first.
    committees = [cells for cells in tree.holding.values() if len(cells) >= 2]
    successors: set[int] = set()
    for _ in range(max(1, round(sum(len(c) for c in committees) * 0.005)) if committees else 0):
        cells = rng.choice(committees)
        alive = [c for c in cells if c.dissolved_on is None and c.founded_on == FOUNDED]
        if len(alive) < 2:
            continue
        gone, successor = rng.sample(alive, 2)
        if gone.id in successors:  # it takes another's members: it stays
            continue
        successors.add(successor.id)
        on = _day_between(rng, start + 400 * DAY, merger - 200 * DAY).replace(day=1)
        gone.dissolved_on, gone.successor_id = on, successor.id
        by_parent_open[gone.id][-1][3] = on
        tree.merged_into.setdefault(successor.id, []).append(gone)


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
    "decision_no decision_date issuing_body directive_id ceremony_date sponsors reason notes "
    "created_by_id created_at"
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
        raise RuntimeError(f"members.synthetic: the model's columns changed: {_columns}")


class Life:
    """One member's history, built in date order by the same transitions as the services."""

    __slots__ = (
        "admitted_on",
        "ceremony",
        "events",
        "gen",
        "last",
        "periods",
        "recognized_on",
        "record_unit",
        "status",
        "unit",
    )

    def __init__(self, gen: Generator):
        self.gen = gen
        self.events: list[list] = []
        self.periods: list[list] = []  # [unit, start, end, start event, end event] (indexes)
        self.status = None
        self.unit = self.record_unit = None
        self.admitted_on = self.recognized_on = self.ceremony = None
        self.last = None

    # Each method mirrors one service (see members.services), its rules assumed checked.

    def _event(self, kind, day, unit, *, other_unit=None, other_name="", probationary=False,
               decision=True, ceremony=None, sponsors="", reason="", directive=None):  # fmt: skip
        assert self.last is None or day >= self.last, (kind, day, self.last)
        gen = self.gen
        if decision:
            decided = day if ceremony is not None else day - gen.rng.randint(0, 7) * DAY
            number, body = gen.decision_number(), gen.body
        else:
            decided, number, body = None, "", ""
        self.events.append(
            [
                kind,
                day,
                unit,
                other_unit,
                other_name,
                probationary,
                number,
                decided,
                body,
                directive,
                ceremony,
                sponsors,
                reason,
            ]
        )
        self.last = day
        return len(self.events) - 1

    def _open(self, unit, day, event):
        self.periods.append([unit, day, None, event, None])

    def _close(self, day, event):
        period = self.periods[-1]
        assert period[2] is None
        period[2], period[4] = day, event

    def admit(self, day, unit, *, readmission=False):
        gen = self.gen
        ceremony = day + gen.rng.randint(0, 20) * DAY
        index = self._event(
            K.READMISSION if readmission else K.ADMISSION,
            day,
            unit,
            ceremony=ceremony,
            sponsors=gen.sponsors(),
            directive=gen.directive_for(day),
        )
        self._open(unit, day, index)
        self.status, self.unit, self.record_unit = Status.PROBATIONARY, unit, unit
        self.admitted_on, self.recognized_on, self.ceremony = day, None, ceremony

    def probation_ends(self) -> datetime.date:
        return add_months(self.ceremony or self.admitted_on, PROBATION_MONTHS)

    def recognize(self, day):
        assert self.status == Status.PROBATIONARY and day >= self.probation_ends()
        self._event(K.RECOGNITION, day, self.unit)
        self.status, self.recognized_on = Status.OFFICIAL, day

    def transfer(self, day, to_unit):
        probationary = self.status == Status.PROBATIONARY
        out = self._event(K.TRANSFER_OUT, day, self.unit, other_unit=to_unit)
        self._close(day, out)
        arrival = self._event(
            K.TRANSFER_IN, day, to_unit, other_unit=self.unit, probationary=probationary
        )
        self._open(to_unit, day, arrival)
        self.unit = self.record_unit = to_unit

    def transfer_out(self, day, destination):
        index = self._event(K.TRANSFER_OUT, day, self.unit, other_name=destination)
        self._close(day, index)
        self.status, self.record_unit, self.unit = Status.TRANSFERRED_OUT, self.unit, None

    def transfer_in(self, day, unit, origin, *, probationary):
        index = self._event(K.TRANSFER_IN, day, unit, other_name=origin, probationary=probationary)
        self._open(unit, day, index)
        self.status = Status.PROBATIONARY if probationary else Status.OFFICIAL
        self.unit = self.record_unit = unit

    def temporary_transfer(self, day, *, to_unit=None, destination=""):
        self._event(K.TEMPORARY_TRANSFER, day, self.unit, other_unit=to_unit,
                    other_name=destination)  # fmt: skip

    def remove(self, day, kind, reason):
        assert kind != K.EXPELLED or self.status == Status.OFFICIAL
        directive = self.gen.directive_for(day) if kind != K.EXPELLED else None
        index = self._event(kind, day, self.unit, reason=reason, directive=directive)
        self._close(day, index)
        self.status, self.record_unit, self.unit = Status.REMOVED, self.unit, None

    def die(self, day):
        rng = self.gen.rng
        if rng.random() < 0.3:  # a notice, possibly dated after the death
            index = self._event(K.DEATH, day, self.unit)
            self.events[index][7] = day + rng.randint(0, 30) * DAY
        else:
            index = self._event(K.DEATH, day, self.unit, decision=False)
        self._close(day, index)
        self.status, self.record_unit, self.unit = Status.DEAD, self.unit, None

    def exempt(self, day):
        self._event(K.EXEMPTION, day, self.unit)

    def restore(self, day, unit):
        probationary = self.recognized_on is None
        index = self._event(K.RESTORATION, day, unit, probationary=probationary)
        self._open(unit, day, index)
        self.status = Status.PROBATIONARY if probationary else Status.OFFICIAL
        self.unit = self.record_unit = unit


@dataclasses.dataclass
class Counts:
    units: int = 0
    links: int = 0
    ancestry: int = 0
    members: int = 0
    events: int = 0
    memberships: int = 0


class Generator:
    def __init__(self, *, members: int, seed: int, until: datetime.date = UNTIL, say=None):
        self.members = members
        self.seed = seed
        self.until = until
        self.start = D(until.year - YEARS + 1, 1, 1)
        self.say = say or (lambda text: None)
        self.rng = random.Random(seed)
        self.counts = Counts()
        self.body = ""
        self.serial = 0
        self.citizen_serials: Counter = Counter()
        self.taken_ids: set[str] = set()
        self.taken_cards: set[str] = set()
        self.names: dict[str, tuple[str, str]] = {}
        self.directive_id: int | None = None
        # A fixed timestamp for created_at/updated_at: the same data for the same seed.
        self.stamp = datetime.datetime.combine(until, datetime.time(17), datetime.UTC)

    # --- helpers used by Life ---

    def decision_number(self) -> str:
        self.serial += 1
        return f"{self.serial % 100_000}-QĐ/ĐU"

    def directive_for(self, day: datetime.date) -> int | None:
        if day >= DIRECTIVE_28 and self.rng.random() < 0.9:
            return self.directive_id
        return None

    def sponsors(self) -> str:
        rng = self.rng
        return (
            f"{rng.choice(ALL_FAMILY)} Văn {rng.choice(ALL_GIVEN_MALE)}, "
            f"{rng.choice(ALL_FAMILY)} Thị {rng.choice(ALL_GIVEN_FEMALE)}"
        )

    # --- the whole run ---

    def run(self) -> Counts:
        began = time.monotonic()
        with transaction.atomic():
            self.directive_id = _directive_28().pk
            tree = plan_tree(
                members=self.members,
                seed=self.seed,
                first_id=_next_id(Unit),
                until=self.until,
            )
            self.tree = tree
            self.write_tree(tree)
            self.say(
                f"  tree: {self.counts.units:,} units, {self.counts.links:,} links, "
                f"{self.counts.ancestry:,} closure rows ({time.monotonic() - began:.0f} s)"
            )
            if Member.objects.exists():  # --force: keep clear of the records already there
                self.taken_ids = set(
                    Member.objects.exclude(citizen_id="").values_list("citizen_id", flat=True)
                )
                self.taken_cards = set(
                    Member.objects.exclude(party_card_no="").values_list("party_card_no", flat=True)
                )
            self.write_members(tree, began)
            _reset_sequences([Unit, UnitParent, UnitAncestry, Member, Event, Membership])
        with connection.cursor() as cursor:  # statistics, or the planners guess
            cursor.execute("ANALYZE")
        self.say(f"  done in {time.monotonic() - began:.0f} s")
        return self.counts

    def write_tree(self, tree: Tree) -> None:
        rows = [
            (u.id, u.code, u.name, u.kind, u.founded_on, u.dissolved_on, u.successor_id, False)
            for u in tree.units
        ]
        _insert(Unit, UNIT_COLUMNS, rows)
        first_link = _next_id(UnitParent)
        rows = [(first_link + i, *link) for i, link in enumerate(tree.links)]
        _insert(UnitParent, [f.column for f in UnitParent._meta.concrete_fields], rows)
        loaded = load_tree()
        computed = compute_ancestry([u.id for u in tree.units], loaded)
        mark_spanning_root(*loaded)
        first = _next_id(UnitAncestry)
        kinds = {u.id: u.kind for u in tree.units}
        rows = [
            (unit_id, ancestor_id, start, None if end == FOREVER else end, kinds[unit_id])
            for unit_id, by_ancestor in computed.items()
            for ancestor_id, intervals in by_ancestor.items()
            for start, end in intervals
        ]
        rows = [(first + i, *row) for i, row in enumerate(rows)]
        _insert(UnitAncestry, [f.column for f in UnitAncestry._meta.concrete_fields], rows)
        self.counts.units, self.counts.links, self.counts.ancestry = (
            len(tree.units),
            len(tree.links),
            len(rows),
        )

    def write_members(self, tree: Tree, began: float) -> None:
        member_id = _next_id(Member)
        event_id = _next_id(Event)
        period_id = _next_id(Membership)
        members, events, periods = [], [], []
        expected = max(1, self.members * 1.1)

        # The dictionary of names (MemberName): each batch's new names, written before its
        # members (on PostgreSQL the members' foreign key to it is checked at the end).
        names_written = set(MemberName.objects.values_list("name", flat=True))
        name_column = MEMBER_COLUMNS.index("name_folded")

        with BulkLoad((Member, Event, Membership, MemberName)) as load:

            def flush():
                names = {row[name_column] for row in members} - names_written
                names_written.update(names)
                load.write(
                    (
                        MemberName,
                        ["name", "sort_floor"],
                        [(name, name_sort_floor(name)) for name in sorted(names)],
                    ),
                    (Member, MEMBER_COLUMNS, members),
                    (Event, EVENT_COLUMNS, events),
                    (Membership, MEMBERSHIP_COLUMNS, periods),
                )
                self.counts.members += len(members)
                self.counts.events += len(events)
                self.counts.memberships += len(periods)
                self.say(
                    f"  {self.counts.members:,} members, {self.counts.events:,} events "
                    f"(~{min(100, 100 * self.counts.members / expected):.0f}%, "
                    f"{time.monotonic() - began:.0f} s)"
                )

            for index, org in enumerate(tree.orgs):
                self.rng = random.Random(f"{self.seed}:org:{index}")
                commune = tree.by_id[org.parent_id]
                self.body = "Ban Thường vụ " + commune.name.replace("Đảng bộ", "Đảng ủy", 1)
                for life, person in self.org_lives(tree, org):
                    row, member_events, member_periods = self.rows(
                        member_id, event_id, period_id, life, person
                    )
                    members.append(row)
                    events.extend(member_events)
                    periods.extend(member_periods)
                    member_id += 1
                    event_id += len(member_events)
                    period_id += len(member_periods)
                if len(members) >= FLUSH_MEMBERS:
                    flush()
                    members, events, periods = [], [], []
            flush()
            self.say(f"  rows written ({time.monotonic() - began:.0f} s); indexes and checks…")

    # --- one grassroots organization's members ---

    def org_lives(self, tree: Tree, org: PlannedUnit):
        """Every member whose history starts in ``org`` (or ends in it): (Life, person)."""
        rng = self.rng
        for cell in tree.holding[org.id]:
            # Members of the cells dissolved into this one move here first.
            incoming = [
                gone for gone in tree.merged_into.get(cell.id, []) for _ in range(gone_size(gone))
            ]
            rng.shuffle(incoming)
            for slot in range(cell.target):
                origin = incoming[slot] if slot < len(incoming) else None
                yield self.stayer(tree, cell, origin)
            leavers = (cell.target if cell.dissolved_on is None else gone_size(cell)) * 0.1
            for _ in range(int(leavers) + (rng.random() < leavers % 1)):
                yield self.leaver(cell)

    def person(self, cell: PlannedUnit, admitted: datetime.date, *, age: int | None = None):
        """The record's own fields for someone admitted on ``admitted``."""
        rng = self.rng
        female = rng.random() < 0.4
        while True:
            family = rng.choice(ALL_FAMILY)
            middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
            given = rng.choice(ALL_GIVEN_FEMALE if female else ALL_GIVEN_MALE)
            if rng.random() < 0.25:
                extra = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
                if extra not in (middle, "Thị", "Văn"):
                    middle = f"{middle} {extra}"
            name = f"{family} {middle} {given}"
            keys = self.names.get(name)
            if keys is None:
                folded = fold(name)
                if folded in REAL_NAMES:
                    continue
                keys = self.names[name] = (folded, name_sort_key(name))
            break
        if age is None:
            roll = rng.random()
            age = (
                rng.randint(19, 30)
                if roll < 0.7
                else rng.randint(31, 40)
                if roll < 0.9
                else rng.randint(41, 55)
            )
        born = add_months(admitted, -12 * age) - rng.randint(0, 360) * DAY
        province_name, _city = PROVINCES[cell.province]
        citizen_id = ""
        if rng.random() < 0.92:
            while True:
                prefix = (
                    f"{cell.province * 2 + 1:03d}"
                    f"{(2 if born.year >= 2000 else 0) + female}{born.year % 100:02d}"
                )
                self.citizen_serials[prefix] += 1
                citizen_id = f"{prefix}{self.citizen_serials[prefix]:06d}"
                if citizen_id not in self.taken_ids:
                    break
        group, occupation, level = _occupation(rng, cell.profile)
        return {
            "full_name": name,
            "keys": keys,
            "gender": choices.Gender.FEMALE if female else choices.Gender.MALE,
            "date_of_birth": born,
            "place_of_birth": province_name,
            "hometown": f"{cell.place[:1].upper()}{cell.place[1:]}, {province_name}",
            "residence": f"Tổ {rng.randint(1, 30)}, {cell.place}, {province_name}",
            "ethnicity": rng.choices(ETHNICITIES, ETHNICITY_WEIGHTS)[0],
            "religion": rng.choices(RELIGIONS, RELIGION_WEIGHTS)[0],
            "occupation": occupation,
            "occupation_group": group,
            "general_education": rng.choices(EDUCATION, (2, 8, 90))[0],
            "professional_level": level,
            "academic_title": choices.AcademicTitle.NONE
            if rng.random() > 0.002
            else choices.AcademicTitle.ASSOCIATE_PROFESSOR,
            "political_theory": rng.choices(THEORY, (30, 45, 20, 5))[0],
            "citizen_id": citizen_id,
            "youth_union_member": age <= 30 and rng.random() < 0.85,
            "private_business_owner": rng.random() < 0.01,
            "married_to_foreigner": rng.random() < 0.001,
        }

    def admission_day(self, first: datetime.date, last: datetime.date, *, old: float = 0.45):
        """A day of admission in [first, last]: before the twenty years with probability
        ``old``, else in them, more often in later years."""
        rng = self.rng
        if first > last:
            raise RuntimeError(f"no day of admission in [{first}, {last}]")
        if rng.random() < old and first < self.start:
            return _day_between(rng, first, min(last, self.start - DAY))
        low = max(first, self.start)
        if low > last:
            return _day_between(rng, first, last)
        span = (last - low).days
        return low + datetime.timedelta(days=int(span * rng.random() ** 0.8))

    def stayer(self, tree: Tree, cell: PlannedUnit, origin: PlannedUnit | None):
        """A member on ``cell``'s roll at the end; ``origin``: the dissolved cell they came from."""
        rng = self.rng
        until = self.until
        life = Life(self)
        if origin is not None:  # on the dissolved cell until shortly before its end
            leave = origin.dissolved_on - rng.randint(1, 60) * DAY
            admitted = self.admission_day(origin.founded_on, leave - 400 * DAY)
            person = self.person(cell, admitted)
            life.admit(admitted, origin.id)
            self._recognize_by(life, leave)
            life.transfer(max(leave, life.last), cell.id)
            self._recognize_by(life, until)
            self._extras(life, tree, cell)
            return life, person
        roll = rng.random()
        if roll < 0.04:  # arrived from outside the system: no admission among our events
            arrival = _day_between(rng, max(cell.founded_on, self.start), until)
            admitted = self.admission_day(FIRST_ADMISSION, arrival - 30 * DAY)
            person = self.person(cell, admitted)
            probationary = add_months(admitted, PROBATION_MONTHS) > arrival
            life.admitted_on = admitted
            if not probationary:
                life.recognized_on = _day_between(
                    rng, add_months(admitted, PROBATION_MONTHS), arrival
                )
            life.transfer_in(arrival, cell.id, rng.choice(OUTSIDE), probationary=probationary)
            self._recognize_by(life, until)
            self._extras(life, tree, cell)
            return life, person
        first = max(FIRST_ADMISSION, cell.founded_on)
        if roll < 0.12:  # came from another cell
            others = [c for c in tree.holding[cell.org_id] if c is not cell and c.target]
            if rng.random() < 0.3 or not others:
                others = tree.province_cells[cell.province]
            source = rng.choice(others)
            if source is not cell:
                admitted = self.admission_day(max(first, source.founded_on), until - 30 * DAY)
                person = self.person(cell, admitted)
                life.admit(admitted, source.id)
                moved = _day_between(rng, max(admitted + DAY, cell.founded_on), until)
                self._recognize_by(life, moved)
                life.transfer(max(moved, life.last), cell.id)
                self._recognize_by(life, until)
                self._extras(life, tree, cell)
                return life, person
        admitted = self.admission_day(first, until)
        person = self.person(cell, admitted)
        life.admit(admitted, cell.id)
        self._recognize_by(life, until)
        if roll > 0.995:
            self._readmission(life, cell, person)
        elif roll > 0.994:
            self._restoration(life, cell)
        elif roll > 0.988:
            self._out_and_back(life, cell)
        self._extras(life, tree, cell)
        return life, person

    def leaver(self, cell: PlannedUnit):
        """A member of ``cell`` who left (or died) before the end."""
        rng = self.rng
        last_day = cell.last_day(self.until)
        life = Life(self)
        first = max(FIRST_ADMISSION, cell.founded_on)
        admitted = self.admission_day(first, last_day - 60 * DAY, old=0.6)
        roll = rng.random()
        person = self.person(cell, admitted, age=rng.randint(19, 45) if roll < 0.4 else None)
        life.admit(admitted, cell.id)
        ends = life.probation_ends() + 10 * DAY
        if roll < 0.03 and ends <= last_day:  # failed probation
            life.remove(ends, K.STRUCK_OFF, R.PROBATION_FAILED)
            return life, person
        self._recognize_by(life, last_day)
        day = _day_between(rng, max(life.last + DAY, self.start), last_day)
        day = max(life.last, min(day, last_day))
        if roll < 0.4:
            life.die(day)
        elif roll < 0.66:
            reason = rng.choice(
                (R.QUIT_ACTIVITIES, R.UNPAID_DUES, R.NO_IMPROVEMENT, R.REPEATED_VIOLATION)
            )
            life.remove(day, K.STRUCK_OFF, reason)
        elif roll < 0.8:
            life.remove(day, K.DISCHARGED, rng.choice((R.ON_REQUEST, R.SCREENING, R.OTHER)))
        elif roll < 0.84 and life.status == Status.OFFICIAL:
            life.remove(day, K.EXPELLED, R.DISCIPLINE)
        else:
            life.transfer_out(day, rng.choice(OUTSIDE))
        return life, person

    # --- pieces of histories ---

    def _recognize_by(self, life: Life, by: datetime.date) -> None:
        """Recognize a probationary member a few weeks after probation ends, if by ``by``."""
        if life.status != Status.PROBATIONARY:
            return
        day = max(life.probation_ends(), life.last) + self.rng.randint(0, 40) * DAY
        if day <= by:
            life.recognize(day)

    def _readmission(self, life: Life, cell: PlannedUnit, person: dict) -> None:
        rng = self.rng
        latest = add_months(self.until, -READMISSION_WAIT_MONTHS - 2)
        if life.status != Status.OFFICIAL or life.last + 30 * DAY > latest:
            return
        left = _day_between(rng, max(life.last + 30 * DAY, self.start), latest)
        reason = rng.choice((R.UNPAID_DUES, R.NO_IMPROVEMENT, R.REPEATED_VIOLATION))
        back = add_months(left, READMISSION_WAIT_MONTHS) + rng.randint(0, 50) * DAY
        born = person["date_of_birth"]
        age = back.year - born.year - ((back.month, back.day) < (born.month, born.day))
        if age > MAX_ADMISSION_AGE or back > self.until:
            return
        life.remove(left, K.STRUCK_OFF, reason)
        life.admit(back, cell.id, readmission=True)
        self._recognize_by(life, self.until)

    def _restoration(self, life: Life, cell: PlannedUnit) -> None:
        rng = self.rng
        latest = self.until - 700 * DAY
        if life.status != Status.OFFICIAL or life.last + 30 * DAY > latest:
            return
        expelled = _day_between(rng, max(life.last + 30 * DAY, self.start), latest)
        life.remove(expelled, K.EXPELLED, R.DISCIPLINE)
        life.restore(expelled + rng.randint(90, 600) * DAY, cell.id)

    def _out_and_back(self, life: Life, cell: PlannedUnit) -> None:
        rng = self.rng
        latest = self.until - 1600 * DAY
        if life.status != Status.OFFICIAL or life.last + 30 * DAY > latest:
            return
        left = _day_between(rng, max(life.last + 30 * DAY, self.start), latest)
        life.transfer_out(left, rng.choice(OUTSIDE))
        life.transfer_in(
            left + rng.randint(200, 1500) * DAY,
            cell.id,
            rng.choice(OUTSIDE),
            probationary=life.recognized_on is None,
        )

    def _extras(self, life: Life, tree: Tree, cell: PlannedUnit) -> None:
        """Sometimes a temporary transfer or an exemption after the rest."""
        rng = self.rng
        if life.last >= self.until:
            return
        roll = rng.random()
        if roll < 0.02:
            day = _day_between(rng, max(life.last, self.start), self.until)
            other = rng.choice(tree.province_cells[cell.province])
            if other is not cell and other.founded_on <= day and rng.random() < 0.5:
                life.temporary_transfer(day, to_unit=other.id)
            else:
                life.temporary_transfer(day, destination=rng.choice(OUTSIDE))
        elif roll < 0.04:
            life.exempt(_day_between(rng, max(life.last, self.start), self.until))

    # --- rows ---

    def rows(self, member_id, event_id, period_id, life: Life, person: dict):
        stamp = self.stamp
        events = [(event_id + i, member_id, *e, "", None, stamp) for i, e in enumerate(life.events)]
        periods = [
            (
                period_id + i,
                member_id,
                p[0],
                p[1],
                p[2],
                event_id + p[3],
                None if p[4] is None else event_id + p[4],
            )
            for i, p in enumerate(life.periods)
        ]
        card = ""
        if life.recognized_on is not None and self.rng.random() < 0.95:
            card = f"{10_000_000 + member_id}"
            while card in self.taken_cards:
                card = f"{card}1"
        folded, sort_key = person["keys"]
        member = (
            member_id,
            person["full_name"],
            person["gender"],
            person["date_of_birth"],
            person["place_of_birth"],
            person["hometown"],
            person["residence"],
            person["ethnicity"],
            person["religion"],
            person["occupation"],
            person["occupation_group"],
            person["general_education"],
            person["professional_level"],
            person["academic_title"],
            person["political_theory"],
            person["citizen_id"],
            card,
            f"LL-{member_id:08d}",
            person["youth_union_member"],
            person["private_business_owner"],
            person["married_to_foreigner"],
            folded,
            sort_key,
            life.status,
            life.unit,
            life.record_unit,
            life.admitted_on,
            life.recognized_on,
            1,
            stamp,
            stamp,
        )
        return member, events, periods


def gone_size(cell: PlannedUnit) -> int:
    """How many members a dissolved cell hands to its successor (about a cell's roll)."""
    return max(1, round(cell.weight * 12))


ETHNICITIES = (
    choices.Ethnicity.KINH,
    choices.Ethnicity.TAY,
    choices.Ethnicity.THAI,
    choices.Ethnicity.MUONG,
    choices.Ethnicity.KHMER,
    choices.Ethnicity.HOA,
    choices.Ethnicity.NUNG,
    choices.Ethnicity.HMONG,
)
ETHNICITY_WEIGHTS = (88, 2.5, 2, 1.5, 1.5, 1.5, 1.5, 1.5)
RELIGIONS = (
    choices.Religion.NONE,
    choices.Religion.BUDDHISM,
    choices.Religion.CATHOLICISM,
    choices.Religion.HOA_HAO,
    choices.Religion.CAO_DAI,
    choices.Religion.PROTESTANTISM,
)
RELIGION_WEIGHTS = (82, 9, 5, 2, 1, 1)
EDUCATION = (
    choices.GeneralEducation.PRIMARY,
    choices.GeneralEducation.LOWER_SECONDARY,
    choices.GeneralEducation.UPPER_SECONDARY,
)
THEORY = (
    choices.PoliticalTheory.NONE,
    choices.PoliticalTheory.ELEMENTARY,
    choices.PoliticalTheory.INTERMEDIATE,
    choices.PoliticalTheory.ADVANCED,
)


def _occupation(rng, profile: str):
    G, P = choices.OccupationGroup, choices.ProfessionalLevel
    if profile == "police":
        return G.ARMED_FORCES, "Sĩ quan công an", rng.choice((P.UNIVERSITY, P.COLLEGE))
    if profile == "agency":
        group = rng.choice((G.STATE_OFFICIAL, G.PARTY_FRONT_OFFICIAL, G.COMMUNE_OFFICIAL))
        return group, "Công chức", rng.choice((P.UNIVERSITY, P.UNIVERSITY, P.MASTER))
    if profile in ("school", "health"):
        title = "Giáo viên" if profile == "school" else "Bác sĩ"
        return G.PUBLIC_SERVICE, title, rng.choice((P.UNIVERSITY, P.COLLEGE, P.MASTER))
    if profile == "enterprise":
        return G.ENTERPRISE, "Công nhân", rng.choice((P.NONE, P.INTERMEDIATE, P.UNIVERSITY))
    group = rng.choices((G.FARMER, G.VILLAGE_WORKER, G.ENTERPRISE, G.OTHER), (40, 15, 15, 30))[0]
    title = {
        G.FARMER: "Nông dân",
        G.VILLAGE_WORKER: "Cán bộ tổ dân phố",
        G.ENTERPRISE: "Công nhân",
        G.OTHER: "Hưu trí",
    }[group]
    return group, title, rng.choice((P.NONE, P.NONE, P.INTERMEDIATE, P.UNIVERSITY))


# --- the database ------------------------------------------------------------------------------


def _directive_28() -> Directive:
    directive, _created = Directive.objects.get_or_create(
        code="28-CT/TW",
        defaults={
            "title": "Về nâng cao chất lượng kết nạp đảng viên và rà soát, sàng lọc, đưa những "
            "đảng viên không còn đủ tư cách ra khỏi Đảng",
            "issued_on": DIRECTIVE_28,
            "issuer": "Ban Bí thư Trung ương Đảng",
        },
    )
    return directive


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _insert(model, columns: list[str], rows: Iterable[tuple]) -> None:
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
                _insert(model, columns, rows)
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


def _reset_sequences(models) -> None:
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


def generate(*, members: int, seed: int, until: datetime.date = UNTIL, say=None) -> Counts:
    """Build the synthetic tree and history (see the module docstring); one transaction."""
    return Generator(members=members, seed=seed, until=until, say=say).run()
