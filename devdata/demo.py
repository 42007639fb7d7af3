"""The demo data: the Thốt Nốt district as the article (05/06/2023) describes it.

Every figure of the article is rebuilt from individual records written through the same
services the staff use (nothing is inserted behind their back):

- the tree of ``fixtures/demo_tree.json``: 26 grassroots organizations under the district
  committee, their cells, and the 2025 reorganization that moved them under new wards;
- members with invented names, admitted since the 1980s, and events of every kind;
- for 01/01/2020-05/06/2023 under Directive 28-CT/TW: the district admitted 393 and removed
  102 (56 struck off, 46 discharged); the Thốt Nốt ward 31, 15 (5 and 10); the Long Thạnh 2
  cell 2 admitted and 2 struck off in 2022, 48 members at the end; 3,129 members in all;
- besides those, events not carried out under the directive (deaths, transfers, disciplinary
  expulsions, a re-admission, a restoration, exemptions), so that its figures differ from
  those of all events.

Deterministic: one seeded random generator, fixed dates. ``load`` refuses to run twice.
"""

from __future__ import annotations

import datetime
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from branches.models import Unit
from branches.services import unit_create, unit_dissolve, unit_move
from common.dates import add_months
from common.vntext import fold
from members import choices, rules, services
from members.models import Directive, Event, Member, Membership, Status

from .accounts import PASSWORD, create_accounts  # noqa: F401 (PASSWORD: load_demo says it)

TREE_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo_tree.json"
SEED = 20230605
D = datetime.date
K = Event.Kind
R = Event.Reason

# Names of the people in the article: real people, never generated.
REAL_NAMES = {
    fold(n)
    for n in (
        "Lê Hoài Phong",
        "Lê Văn Lý",
        "Lê Thị Diễm Trinh",
        "Nguyễn Thanh Hùng",
        "Lâm Tấn Ân",
        "Mai Minh Huy",
        "Nguyễn Thị Ngọc Điệp",
    )
}
FAMILY = (
    "Nguyễn Nguyễn Nguyễn Trần Trần Lê Lê Phạm Huỳnh Võ Phan Trương Đặng Bùi Đỗ Hồ Ngô "
    "Dương Lý Lâm Châu Tô Đinh Mai Thái Quách Từ Hà Cao La"
).split()
MIDDLE_MALE = "Văn Văn Văn Minh Thanh Hoàng Quốc Hữu Tấn Công Đức Chí Trung Phước".split()
MIDDLE_FEMALE = "Thị Thị Thị Ngọc Thanh Kim Mỹ Thu Bích Hồng Thùy Diễm".split()
GIVEN_MALE = (
    "An Bình Cường Danh Dũng Duy Đạt Định Đông Hải Hào Hậu Hiếu Hòa Hoàng Khang Khánh Khoa "
    "Kiệt Lâm Lộc Long Luân Minh Nam Nghĩa Nhân Phát Phong Phúc Quang Quý Sang Sơn Tài Tâm "
    "Thắng Thanh Thiện Thịnh Toàn Trí Trọng Tuấn Tùng Việt Vinh Vũ"
).split()
GIVEN_FEMALE = (
    "Anh Ánh Bích Châu Diễm Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hồng Huệ Hương Lan Liên "
    "Linh Loan Mai My Nga Ngân Ngọc Nhung Oanh Phượng Quyên Tâm Thảo Thắm Thu Thúy Trang Trâm "
    "Tuyết Uyên Vân Xuân Yến"
).split()
# Cần Thơ's prefix of the 12-digit citizen ID.
PROVINCE_CODE = "092"


@dataclass
class Plan:
    """How many of each directive-28 event a unit gets in the article's period."""

    admitted: int = 0
    struck_off: int = 0
    discharged: int = 0


@dataclass
class Cell:
    unit: Unit
    target: int  # members on 05/06/2023
    profile: str  # "area", "agency", "police", "military": shapes occupations
    org_code: str
    plan: Plan = field(default_factory=Plan)


class DemoBuilder:
    def __init__(self, tree: dict, stdout=None):
        self.tree = tree
        self.rng = random.Random(SEED)
        self.stdout = stdout
        self.start = D.fromisoformat(tree["article"]["from"])
        self.end = D.fromisoformat(tree["article"]["to"])
        self.cells: list[Cell] = []
        self.by_code: dict[str, Unit] = {}
        self.used_names: set[str] = set()
        self.serial = 0
        self.cards: dict[int, str] = {}  # party cards drawn, issued at recognition (R25)
        self.decision_serial = Counter()

    # --- small helpers -------------------------------------------------------------------

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)

    def day_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def decision(self, day: datetime.date, body: str, directive=None, prefix="QĐ/QU"):
        self.decision_serial[day.year] += 1
        return services.Decision(
            number=f"{self.decision_serial[day.year]}-{prefix}",
            date=day,
            issuing_body=body,
            directive=directive,
        )

    def district_body(self) -> str:
        return "Ban Thường vụ Quận ủy Thốt Nốt"

    def person(
        self, cell: Cell, admitted_on: datetime.date, *, female=None, age: int | None = None
    ) -> Member:
        rng = self.rng
        female = rng.random() < 0.42 if female is None else female
        while True:
            family = rng.choice(FAMILY)
            middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
            given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
            # Sometimes a second middle name, never "Thị"/"Văn" twice ("Trần Thị Thị Anh").
            seconds = [
                m
                for m in (MIDDLE_FEMALE if female else MIDDLE_MALE)
                if m not in (middle, "Thị", "Văn")
            ]
            extra = rng.choice(["", "", "", rng.choice(seconds)])
            name = " ".join(p for p in (family, middle, extra, given) if p)
            if fold(name) not in REAL_NAMES and (name not in self.used_names or rng.random() < 0.1):
                break
        self.used_names.add(name)
        age = age or rng.choice([19, 20, 22, 24, 25, 27, 28, 30, 32, 34, 36, 38, 41, 45, 50])
        born = add_months(admitted_on, -12 * age) - datetime.timedelta(days=rng.randint(30, 330))
        self.serial += 1
        ethnicity = rng.choices(
            [choices.Ethnicity.KINH, choices.Ethnicity.KHMER, choices.Ethnicity.HOA], [93, 4, 3]
        )[0]
        religion = rng.choices(
            [
                choices.Religion.NONE,
                choices.Religion.HOA_HAO,
                choices.Religion.BUDDHISM,
                choices.Religion.CATHOLICISM,
                choices.Religion.CAO_DAI,
            ],
            [72, 14, 9, 3, 2],
        )[0]
        occupation_group, occupation, professional = self.occupation(cell.profile)
        return Member(
            full_name=name,
            gender=choices.Gender.FEMALE if female else choices.Gender.MALE,
            date_of_birth=born,
            place_of_birth=rng.choice(["Cần Thơ", "Thốt Nốt, Cần Thơ", "An Giang", "Vĩnh Long"]),
            hometown=rng.choice(
                ["Thốt Nốt, Cần Thơ", "Thốt Nốt, Cần Thơ", "An Giang", "Đồng Tháp"]
            ),
            residence=f"Khu vực {rng.randint(1, 12)}, quận Thốt Nốt, Cần Thơ",
            ethnicity=ethnicity,
            religion=religion,
            occupation=occupation,
            occupation_group=occupation_group,
            general_education=rng.choices(
                [
                    choices.GeneralEducation.UPPER_SECONDARY,
                    choices.GeneralEducation.LOWER_SECONDARY,
                    choices.GeneralEducation.PRIMARY,
                ],
                # An urban district: no one with primary education only is admitted (R2).
                [80, 20, 0] if cell.profile == "area" else [100, 0, 0],
            )[0],
            professional_level=professional,
            political_theory=rng.choices(
                [
                    choices.PoliticalTheory.ELEMENTARY,
                    choices.PoliticalTheory.INTERMEDIATE,
                    choices.PoliticalTheory.ADVANCED,
                ],
                [70, 25, 5],
            )[0],
            citizen_id=f"{PROVINCE_CODE}{0 if not female else 1}{born.year % 100:02d}"
            f"{self.serial:06d}",
            party_card_no=f"{92_000_000 + self.serial}",
            personal_history_no=f"TN-{self.serial:05d}",
            youth_union_member=age <= 30,
            private_business_owner=cell.profile == "area" and rng.random() < 0.02,
        )

    def occupation(self, profile: str):
        rng = self.rng
        G, P = choices.OccupationGroup, choices.ProfessionalLevel
        if profile in ("police", "military"):
            return (
                G.ARMED_FORCES,
                ("Sĩ quan công an" if profile == "police" else "Quân nhân"),
                rng.choice([P.UNIVERSITY, P.COLLEGE, P.INTERMEDIATE]),
            )
        if profile == "agency":
            group = rng.choice([G.STATE_OFFICIAL, G.PARTY_FRONT_OFFICIAL, G.PUBLIC_SERVICE])
            title = {
                G.STATE_OFFICIAL: "Công chức",
                G.PARTY_FRONT_OFFICIAL: "Cán bộ Đảng, đoàn thể",
                G.PUBLIC_SERVICE: "Viên chức",
            }[group]
            return group, title, rng.choice([P.UNIVERSITY, P.UNIVERSITY, P.MASTER, P.COLLEGE])
        group = rng.choices(
            [G.FARMER, G.VILLAGE_WORKER, G.ENTERPRISE, G.COMMUNE_OFFICIAL, G.OTHER],
            [35, 15, 20, 10, 20],
        )[0]
        title = {
            G.FARMER: "Nông dân",
            G.VILLAGE_WORKER: "Cán bộ khu vực",
            G.ENTERPRISE: "Công nhân",
            G.COMMUNE_OFFICIAL: "Công chức phường",
            G.OTHER: rng.choice(["Buôn bán", "Nội trợ", "Hưu trí", "Dân quân"]),
        }[group]
        return group, title, rng.choice([P.NONE, P.NONE, P.INTERMEDIATE, P.UNIVERSITY])

    # --- the tree ------------------------------------------------------------------------

    def build_tree(self) -> None:
        t = self.tree
        founded = D.fromisoformat(t["district"]["founded_on"])
        city = unit_create(
            code=t["city"]["code"],
            name=t["city"]["name"],
            kind=Unit.Kind.ABOVE_GRASSROOTS,
            founded_on=D(2004, 1, 1),
        )
        district = unit_create(
            code=t["district"]["code"],
            name=t["district"]["name"],
            kind=Unit.Kind.ABOVE_GRASSROOTS,
            founded_on=founded,
            parent=city,
        )
        self.by_code.update({city.code: city, district.code: district})
        article_cell = t["article_cell"]
        for ward in t["wards"]:
            org = self._unit(ward["code"], ward["name"], Unit.Kind.GRASSROOTS_COMMITTEE, district)
            names = [f"Chi bộ khu vực {a}" for a in ward["areas"]] + t["ward_cells"]
            profiles = ["area"] * len(ward["areas"]) + ["military", "police", "agency", "agency"]
            codes = [
                f"{org.code}-{fold(n).replace('chi bo ', '').replace(' ', '-')}" for n in names
            ]
            codes = [c.replace("khu-vuc-", "").replace("---", "-") for c in codes]
            # "Chi bộ Quân sự phường" → "Chi bộ Quân sự phường Thốt Nốt": names tell wards apart.
            place = ward["name"].removeprefix("Đảng bộ phường ")
            names = [n if "khu vực" in n else f"{n} {place}" for n in names]
            targets = self.split(
                ward["members"],
                len(names),
                fixed={codes.index(article_cell["code"]): article_cell["members"]}
                if article_cell["code"] in codes
                else {},
            )
            for code, name, profile, target in zip(codes, names, profiles, targets, strict=True):
                cell = self._unit(code, name, Unit.Kind.CELL, org)
                self.cells.append(Cell(cell, target, profile, org.code))
        for committee in t["committees"]:
            org = self._unit(
                committee["code"], committee["name"], Unit.Kind.GRASSROOTS_COMMITTEE, district
            )
            profile = "police" if committee["code"].startswith("ca-") else "military"
            targets = self.split(committee["members"], len(committee["cells"]))
            for index, (name, target) in enumerate(zip(committee["cells"], targets, strict=True)):
                cell = self._unit(f"{org.code}-{index + 1}", name, Unit.Kind.CELL, org)
                self.cells.append(Cell(cell, target, profile, org.code))
        for entry in t["grassroots_cells"]:
            cell = self._unit(entry["code"], entry["name"], Unit.Kind.GRASSROOTS_CELL, district)
            self.cells.append(Cell(cell, entry["members"], "agency", cell.code))

    def _unit(self, code: str, name: str, kind: str, parent: Unit) -> Unit:
        founded = D.fromisoformat(self.tree["district"]["founded_on"])
        unit = unit_create(code=code, name=name, kind=kind, founded_on=founded, parent=parent)
        self.by_code[code] = unit
        return unit

    def split(self, total: int, parts: int, fixed: dict[int, int] | None = None) -> list[int]:
        """Split ``total`` into ``parts`` uneven positive shares; ``fixed`` pins some of them."""
        fixed = fixed or {}
        free = [i for i in range(parts) if i not in fixed]
        remaining = total - sum(fixed.values())
        weights = [self.rng.uniform(0.7, 1.3) for _ in free]
        shares = [int(remaining * w / sum(weights)) for w in weights]
        for i in range(remaining - sum(shares)):
            shares[i % len(shares)] += 1
        result = dict(zip(free, shares, strict=True)) | fixed
        return [result[i] for i in range(parts)]

    # --- the article's plan --------------------------------------------------------------

    def plan(self) -> None:
        """Give each cell its share of the directive-28 admissions and removals."""
        a = self.tree["article"]
        ward_code = self.tree["wards"][0]["code"]
        cell_code = self.tree["article_cell"]["code"]
        orgs: dict[str, list[Cell]] = {}
        for cell in self.cells:
            orgs.setdefault(cell.org_code, []).append(cell)
        article_cell = next(c for c in self.cells if c.unit.code == cell_code)
        article_cell.plan = Plan(admitted=a["cell"]["admitted"], struck_off=a["cell"]["struck_off"])
        ward_cells = [c for c in orgs[ward_code] if c is not article_cell]
        for name in ("admitted", "struck_off", "discharged"):
            in_cell = getattr(article_cell.plan, name)
            self.spread(ward_cells, name, a["ward"][name] - in_cell)
            others = [c for code, cs in orgs.items() if code != ward_code for c in cs]
            self.spread(others, name, a["district"][name] - a["ward"][name])

    def spread(self, cells: list[Cell], name: str, count: int) -> None:
        for cell in self.rng.choices(cells, weights=[c.target for c in cells], k=count):
            setattr(cell.plan, name, getattr(cell.plan, name) + 1)

    # --- members and their histories -----------------------------------------------------

    def admit(
        self, cell: Cell, day: datetime.date, directive=None, body: str = "", **person
    ) -> Member:
        """Admit a new invented person to ``cell`` on ``day`` (``person``: female, age), by a
        decision of ``body`` (the district's standing committee unless said). A probationer
        holds no party card (R25): the card drawn for them is issued at recognition."""
        member = self.person(cell, day, **person)
        card, member.party_card_no = member.party_card_no, ""
        services.member_admit(
            member=member,
            unit=cell.unit,
            decision=self.decision(day, body or self.district_body(), directive),
            ceremony_date=day + datetime.timedelta(days=self.rng.randint(3, 20)),
            sponsors=f"{self.rng.choice(FAMILY)} Văn {self.rng.choice(GIVEN_MALE)}, "
            f"{self.rng.choice(FAMILY)} Thị {self.rng.choice(GIVEN_FEMALE)}",
        )
        self.cards[member.pk] = card
        return member

    def recognize(self, member: Member, by: datetime.date | None = None) -> bool:
        """Recognize ``member`` by a decision a few weeks after probation ends, if that is by
        ``by``: official from the end of probation (R8)."""
        due = services.probation_ends(member)
        day = due + datetime.timedelta(days=self.rng.randint(0, 25))
        if by is not None and day > by:
            return False
        services.member_recognize(
            member=member,
            effective_date=due,
            decision=self.decision(day, self.district_body()),
            resolution_date=day,
        )
        # The party card goes to official members only (R25).
        if self.cards.get(member.pk):
            Member.objects.filter(pk=member.pk).update(party_card_no=self.cards.pop(member.pk))
        return True

    def old_member(
        self, cell: Cell, before: datetime.date | None = None, age: int | None = None
    ) -> Member:
        """An official member admitted between 2004 and ``before`` (mid-2019) minus 14 months."""
        before = before or D(2019, 6, 30)
        admitted = self.day_between(D(2004, 1, 1), before - datetime.timedelta(days=430))
        member = self.admit(cell, admitted, age=age)
        self.recognize(member)
        return member

    def remove(self, member: Member, kind: str, reason: str, day: datetime.date, directive=None):
        services.member_remove(
            member=member,
            kind=kind,
            reason=reason,
            effective_date=day,
            decision=self.decision(day, self.district_body(), directive),
            standards_kept=kind == K.DISCHARGED,  # discharged on their own application (R13)
        )

    def period_day(self, first=None, last=None) -> datetime.date:
        return self.day_between(first or self.start, last or self.end)

    def build_history(self, d28: Directive) -> None:
        rng = self.rng
        end = self.end
        cell_code = self.tree["article_cell"]["code"]
        ordinary = [c for c in self.cells if c.unit.code != cell_code]
        weights = [c.target for c in ordinary]

        def some_cells(k: int) -> list[Cell]:
            return rng.choices(ordinary, weights=weights, k=k)

        # Before 2020: members who left or died before the period (not on its roll at all).
        for cell in some_cells(45):
            member = self.old_member(cell, before=D(2016, 6, 30))
            day = self.day_between(D(2016, 7, 1), D(2019, 12, 31))
            if rng.random() < 0.5:
                services.member_record_death(member=member, effective_date=day)
            else:
                self.remove(member, K.STRUCK_OFF, R.QUIT_ACTIVITIES, day)

        # The article's period, under Directive 28: admissions ...
        for cell in self.cells:
            for index in range(cell.plan.admitted):
                female = None
                if cell.unit.code == cell_code:  # a militia member and a women's union member
                    female = index == 1
                day = self.period_day()
                self.admit(cell, day, d28, female=female)
        # ... and removals of members admitted before the period; a few struck-off
        # probationers who failed their probation among them.
        for cell in self.cells:
            for _ in range(cell.plan.struck_off):
                if cell.unit.code == cell_code:
                    member = self.old_member(cell)
                    day = self.period_day(D(2022, 3, 1), D(2022, 11, 30))
                    self.remove(member, K.STRUCK_OFF, R.QUIT_ACTIVITIES, day, d28)
                    continue
                if rng.random() < 0.12:
                    member = self.admit(cell, self.day_between(D(2019, 1, 1), D(2019, 12, 31)))
                    day = services.probation_ends(member) + datetime.timedelta(days=10)
                    self.remove(member, K.STRUCK_OFF, R.PROBATION_FAILED, day, d28)
                    continue
                member = self.old_member(cell)
                reason = rng.choice([R.QUIT_ACTIVITIES, R.UNPAID_DUES, R.NO_IMPROVEMENT])
                self.remove(member, K.STRUCK_OFF, reason, self.period_day(), d28)
            for _ in range(cell.plan.discharged):
                member = self.old_member(cell)
                # Discharge answers the member's own application (R13); the draw is kept so
                # that the rest of the demo stays the same; one in three of hardship.
                hardship = rng.choice([False, False, True])
                reason = R.ON_REQUEST_HARDSHIP if hardship else R.ON_REQUEST
                self.remove(member, K.DISCHARGED, reason, self.period_day(), d28)

        # Not under the directive: deaths, disciplinary expulsions, transfers.
        for cell in some_cells(37) + [c for c in self.cells if c.unit.code == cell_code]:
            member = self.old_member(cell)
            services.member_record_death(member=member, effective_date=self.period_day())
        for cell in some_cells(4):
            member = self.old_member(cell)
            self.remove(member, K.EXPELLED, R.DISCIPLINE, self.period_day())
        for cell in some_cells(22):
            member = self.old_member(cell)
            day = self.period_day()
            services.member_transfer_out(
                member=member,
                destination=rng.choice(
                    ["Đảng bộ quận Ninh Kiều", "Đảng bộ huyện Vĩnh Thạnh", "Tỉnh ủy An Giang"]
                ),
                effective_date=day,
                decision=self.decision(day, self.district_body(), prefix="QĐ/BTC"),
            )
        for cell in some_cells(27):
            admitted = self.day_between(D(1990, 1, 1), D(2019, 1, 1))
            member = self.person(cell, admitted)
            member.admitted_on = admitted
            member.recognized_on = add_months(admitted, 13)
            day = self.period_day()
            services.member_transfer_in(
                member=member,
                unit=cell.unit,
                origin=rng.choice(
                    ["Đảng bộ quận Ô Môn", "Tỉnh ủy Đồng Tháp", "Đảng bộ huyện Cờ Đỏ"]
                ),
                effective_date=day,
                decision=self.decision(day, "Ban Tổ chức Quận ủy Thốt Nốt", prefix="QĐ/BTC"),
                probationary=False,
            )
        for cell in some_cells(12):
            member = self.old_member(cell)
            target = rng.choice([c for c in ordinary if c is not cell])
            day = self.period_day()
            services.member_transfer(
                member=member,
                to_unit=target.unit,
                effective_date=day,
                decision=self.decision(day, "Ban Tổ chức Quận ủy Thốt Nốt", prefix="QĐ/BTC"),
            )
        for cell in some_cells(6):
            member = self.old_member(cell)
            day = self.period_day()
            services.member_temporary_transfer(
                member=member,
                destination="Đảng bộ Khu công nghiệp Bình Dương",
                effective_date=day,
                decision=self.decision(day, "Đảng ủy cơ sở", prefix="GGT"),
            )
        # A re-admission (left in 2016 for not improving; back in 2021) and a restoration
        # after a wrongful expulsion.
        cell = some_cells(1)[0]
        member = self.admit(cell, D(2012, 3, 8), age=24)
        self.recognize(member)
        self.remove(member, K.STRUCK_OFF, R.NO_IMPROVEMENT, D(2016, 5, 20))
        day = D(2021, 4, 12)
        services.member_readmit(
            member=member,
            unit=cell.unit,
            decision=self.decision(day, self.district_body()),
            ceremony_date=day + datetime.timedelta(days=7),
            consent=services.Decision(  # the provincial standing committee's consent (R14)
                number="1250-CV/TU",
                date=day - datetime.timedelta(days=20),
                issuing_body="Ban Thường vụ Thành ủy Cần Thơ",
            ),
        )
        self.recognize(member)
        member = self.old_member(cell, before=D(2017, 1, 1))
        self.remove(member, K.EXPELLED, R.DISCIPLINE, D(2019, 9, 3))
        day = D(2021, 11, 2)
        services.member_restore(
            member=member,
            unit=cell.unit,
            effective_date=day,
            decision=self.decision(day, "Ủy ban Kiểm tra Thành ủy Cần Thơ", prefix="QĐ/UBKTTU"),
        )

        # Recognize this period's probationers whose probation ended by the article's day.
        for member in Member.objects.filter(status=Status.PROBATIONARY).order_by("pk"):
            self.recognize(member, by=end)

    def fill(self) -> None:
        """Add long-standing members until each cell has its roll of 05/06/2023."""
        present = dict(
            Membership.objects.open_on(self.end)
            .values_list("unit")
            .annotate(n=Count("pk"))
            .values_list("unit", "n")
        )
        exempt_left = 15
        for cell in self.cells:
            missing = cell.target - present.get(cell.unit.pk, 0)
            if missing < 0:
                raise RuntimeError(f"{cell.unit.code}: {-missing} members too many")
            for _ in range(missing):
                member = self.old_member(cell)
                if exempt_left and cell.profile == "area" and self.rng.random() < 0.02:
                    exempt_left -= 1
                    day = self.period_day()
                    # R16: only the old (men over 60, women over 55), in poor health, on request.
                    if rules.exemption_age_reached(member.gender, member.age_on(day)):
                        services.member_exempt(
                            member=member,
                            effective_date=day,
                            decision=self.decision(day, "Chi ủy", prefix="QĐ/CB"),
                            poor_health=True,
                            on_request=True,
                        )

    def after_article(self) -> None:
        """Life goes on: the rest are recognized, the 2025 reorganization, new probationers."""
        for member in Member.objects.filter(status=Status.PROBATIONARY).order_by("pk"):
            self.recognize(member)
        reorganization = self.tree["reorganization_2025"]
        on = D.fromisoformat(reorganization["on"])
        city = self.by_code[self.tree["city"]["code"]]
        district = self.by_code[self.tree["district"]["code"]]
        first_ward = None
        for ward in reorganization["new_wards"]:
            new = unit_create(
                code=ward["code"],
                name=ward["name"],
                kind=Unit.Kind.ABOVE_GRASSROOTS,
                founded_on=on,
                parent=city,
            )
            first_ward = first_ward or new
            for code in ward["takes"]:
                unit_move(unit=self.by_code[code], new_parent=new, on=on)
        unit_dissolve(unit=district, on=on, successor=first_ward)
        # Admissions since then, decided by the ward committees (QĐ 294, R28): some are due
        # for official recognition now.
        ward_of = {
            code: ward["name"] for ward in reorganization["new_wards"] for code in ward["takes"]
        }
        for cell in self.rng.sample(self.cells, 18):
            body = f"Ban Thường vụ {ward_of.get(cell.org_code, first_ward.name)}"
            self.admit(cell, self.day_between(D(2025, 8, 1), D(2026, 9, 30)), body=body)

    def users(self) -> None:
        made = create_accounts(self.tree, self.by_code)
        self.say(f"  {len(made)} accounts")

    def build(self) -> None:
        t = self.tree
        d = t["directive"]
        d28 = Directive.objects.create(
            code=d["code"],
            title=d["title"],
            issued_on=D.fromisoformat(d["issued_on"]),
            issuer=d["issuer"],
        )
        self.build_tree()
        self.say(f"  {len(self.by_code)} units")
        self.plan()
        self.build_history(d28)
        self.fill()
        self.say(f"  {Member.objects.count()} member records, {Event.objects.count()} events")
        self.after_article()
        self.users()


def is_loaded() -> bool:
    tree = json.loads(TREE_FILE.read_text(encoding="utf-8"))
    return Unit.objects.filter(code=tree["district"]["code"]).exists()


def load(stdout=None) -> None:
    tree = json.loads(TREE_FILE.read_text(encoding="utf-8"))
    with transaction.atomic():
        DemoBuilder(tree, stdout=stdout).build()
    # Fresh statistics, or SQLite plans the reports' joins on guesses (several times slower).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
