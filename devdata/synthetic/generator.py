"""The run: the tree written, then each grassroots organization's members drawn and written
in batches (``Generator``)."""

from __future__ import annotations

import dataclasses
import datetime
import random
import time
from collections import Counter

from django.db import connection, transaction

from branches.models import Unit, UnitAncestry, UnitParent
from branches.services import FOREVER, compute_ancestry, load_tree, mark_spanning_root
from common.dates import add_months
from common.vntext import fold, name_sort_floor, name_sort_key
from members import choices
from members.models import Directive, Event, Member, MemberName, Membership, Status
from members.rules import MAX_ADMISSION_AGE, PROBATION_MONTHS, READMISSION_WAIT_MONTHS

from ..demo import MIDDLE_FEMALE, MIDDLE_MALE, REAL_NAMES
from .bulkload import (
    EVENT_COLUMNS,
    MEMBER_COLUMNS,
    MEMBERSHIP_COLUMNS,
    UNIT_COLUMNS,
    BulkLoad,
    insert,
    next_id,
    reset_sequences,
)
from .lives import (
    ALL_FAMILY,
    ALL_GIVEN_FEMALE,
    ALL_GIVEN_MALE,
    EDUCATION,
    ETHNICITIES,
    ETHNICITY_WEIGHTS,
    OUTSIDE,
    RELIGION_WEIGHTS,
    RELIGIONS,
    THEORY,
    Life,
    draw_occupation,
)
from .tree import (
    DIRECTIVE_28,
    FIRST_ADMISSION,
    FLUSH_MEMBERS,
    PROVINCES,
    UNTIL,
    YEARS,
    PlannedUnit,
    Tree,
    day_between,
    gone_size,
    plan_tree,
)

D = datetime.date
DAY = datetime.timedelta(days=1)
K = Event.Kind
R = Event.Reason


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
                first_id=next_id(Unit),
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
            reset_sequences([Unit, UnitParent, UnitAncestry, Member, Event, Membership])
        with connection.cursor() as cursor:  # statistics, or the planners guess
            cursor.execute("ANALYZE")
        self.say(f"  done in {time.monotonic() - began:.0f} s")
        return self.counts

    def write_tree(self, tree: Tree) -> None:
        rows = [
            (u.id, u.code, u.name, u.kind, u.founded_on, u.dissolved_on, u.successor_id, False)
            for u in tree.units
        ]
        insert(Unit, UNIT_COLUMNS, rows)
        first_link = next_id(UnitParent)
        rows = [(first_link + i, *link) for i, link in enumerate(tree.links)]
        insert(UnitParent, [f.column for f in UnitParent._meta.concrete_fields], rows)
        loaded = load_tree()
        computed = compute_ancestry([u.id for u in tree.units], loaded)
        mark_spanning_root(*loaded)
        first = next_id(UnitAncestry)
        kinds = {u.id: u.kind for u in tree.units}
        rows = [
            (unit_id, ancestor_id, start, None if end == FOREVER else end, kinds[unit_id])
            for unit_id, by_ancestor in computed.items()
            for ancestor_id, intervals in by_ancestor.items()
            for start, end in intervals
        ]
        rows = [(first + i, *row) for i, row in enumerate(rows)]
        insert(UnitAncestry, [f.column for f in UnitAncestry._meta.concrete_fields], rows)
        self.counts.units, self.counts.links, self.counts.ancestry = (
            len(tree.units),
            len(tree.links),
            len(rows),
        )

    def write_members(self, tree: Tree, began: float) -> None:
        member_id = next_id(Member)
        event_id = next_id(Event)
        period_id = next_id(Membership)
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
        group, occupation, level = draw_occupation(rng, cell.profile)
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
            return day_between(rng, first, min(last, self.start - DAY))
        low = max(first, self.start)
        if low > last:
            return day_between(rng, first, last)
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
            arrival = day_between(rng, max(cell.founded_on, self.start), until)
            admitted = self.admission_day(FIRST_ADMISSION, arrival - 30 * DAY)
            person = self.person(cell, admitted)
            probationary = add_months(admitted, PROBATION_MONTHS) > arrival
            life.admitted_on = admitted
            if not probationary:
                life.recognized_on = day_between(
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
                moved = day_between(rng, max(admitted + DAY, cell.founded_on), until)
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
        day = day_between(rng, max(life.last + DAY, self.start), last_day)
        day = max(life.last, min(day, last_day))
        if roll < 0.4:
            life.die(day)
        elif roll < 0.66:
            reason = rng.choice(
                (R.QUIT_ACTIVITIES, R.UNPAID_DUES, R.NO_IMPROVEMENT, R.REPEATED_VIOLATION)
            )
            life.remove(day, K.STRUCK_OFF, reason)
        elif roll < 0.8:
            life.remove(
                day, K.DISCHARGED, rng.choice((R.ON_REQUEST, R.ON_REQUEST_HARDSHIP, R.ON_REQUEST))
            )
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
        left = day_between(rng, max(life.last + 30 * DAY, self.start), latest)
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
        expelled = day_between(rng, max(life.last + 30 * DAY, self.start), latest)
        life.remove(expelled, K.EXPELLED, R.DISCIPLINE)
        life.restore(expelled + rng.randint(90, 600) * DAY, cell.id)

    def _out_and_back(self, life: Life, cell: PlannedUnit) -> None:
        rng = self.rng
        latest = self.until - 1600 * DAY
        if life.status != Status.OFFICIAL or life.last + 30 * DAY > latest:
            return
        left = day_between(rng, max(life.last + 30 * DAY, self.start), latest)
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
            day = day_between(rng, max(life.last, self.start), self.until)
            other = rng.choice(tree.province_cells[cell.province])
            if other is not cell and other.founded_on <= day and rng.random() < 0.5:
                life.temporary_transfer(day, to_unit=other.id)
            else:
                life.temporary_transfer(day, destination=rng.choice(OUTSIDE))
        elif roll < 0.04:
            life.exempt(day_between(rng, max(life.last, self.start), self.until))

    # --- rows ---

    def rows(self, member_id, event_id, period_id, life: Life, person: dict):
        stamp = self.stamp
        # (resolution_date, consent_no, consent_date, record_cleared_on; notes; ended_on,
        # purpose, term_end: no period ended, no term recorded; created_by; created_at; never
        # cancelled or corrected)
        events = [
            (
                event_id + i,
                member_id,
                *e,
                *(None, "", None, None, "", None, "", None, None, stamp),
                *(None, None, "", "", None, None, ""),
            )
            for i, e in enumerate(life.events)
        ]
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
