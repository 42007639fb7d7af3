"""One synthetic member: the life (``Life``: events and roll periods, built by the same
transitions as the services) and the person (names and attributes, drawn)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from common.dates import add_months
from members import choices
from members.models import Event, Status
from members.rules import PROBATION_MONTHS

from ..demo import FAMILY, GIVEN_FEMALE, GIVEN_MALE

if TYPE_CHECKING:
    from .generator import Generator

DAY = datetime.timedelta(days=1)
K = Event.Kind

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


def draw_occupation(rng, profile: str):
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
