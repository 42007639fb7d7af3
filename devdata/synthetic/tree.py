"""The synthetic tree: the units of a country-sized party, their links and their
reorganization (``plan_tree``), planned in memory before a row is written."""

from __future__ import annotations

import dataclasses
import datetime
import random

from branches.models import Unit

D = datetime.date
DAY = datetime.timedelta(days=1)
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


def day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
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
            founded = FOUNDED if rng.random() > 0.02 else day_between(rng, start, D(2022, 12, 1))
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
                            day_between(rng, start, D(2023, 12, 1)) if late else founded,
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
            on = day_between(rng, max(org.founded_on, start) + 40 * DAY, merger - 200 * DAY)
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
        on = day_between(rng, start + 400 * DAY, merger - 200 * DAY).replace(day=1)
        gone.dissolved_on, gone.successor_id = on, successor.id
        by_parent_open[gone.id][-1][3] = on
        tree.merged_into.setdefault(successor.id, []).append(gone)


def gone_size(cell: PlannedUnit) -> int:
    """How many members a dissolved cell hands to its successor (about a cell's roll)."""
    return max(1, round(cell.weight * 12))
