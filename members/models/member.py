"""The member's record (form 2-HSĐV), the state cached on it from the events, and the
directives that events are carried out under."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from branches.models import ClosureRows, Unit
from common.vntext import SORT_KEY_LENGTH, fold, name_sort_key, normalize_spaces

from .. import choices
from .. import search as name_search
from ..search.lookups import Prefix  # noqa: F401 (the lookup ``prefix``, importable from here)
from .event import ADMISSION_KINDS, Event


class Directive(models.Model):
    """A directive (chỉ thị) or other document that events are carried out under. Data, not code."""

    code = models.CharField(_("số hiệu"), max_length=50, unique=True)
    title = models.CharField(_("trích yếu"), max_length=500)
    issued_on = models.DateField(_("ngày ban hành"))
    issuer = models.CharField(_("cơ quan ban hành"), max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chỉ thị")
        verbose_name_plural = _("chỉ thị")
        ordering = ["-issued_on"]

    def __str__(self) -> str:
        return self.code


class Status(models.TextChoices):
    PROBATIONARY = "probationary", _("Dự bị")
    OFFICIAL = "official", _("Chính thức")
    TRANSFERRED_OUT = "transferred_out", _("Đã chuyển đi")
    REMOVED = "removed", _("Đã ra khỏi Đảng")
    DEAD = "dead", _("Từ trần")


ACTIVE_STATUSES = (Status.PROBATIONARY, Status.OFFICIAL)


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> MemberQuerySet:
        """Members whose file is kept by a unit the user may see (a superuser: everyone,
        with no filter for the database to apply to millions of rows)."""
        if user.is_authenticated and user.is_superuser:
            return self.all()
        return self.filter(record_unit_id__in=Unit.objects.ids_visible_to(user))

    def editable_by(self, user) -> MemberQuerySet:
        return self.filter(record_unit_id__in=Unit.objects.ids_editable_by(user))

    def active(self) -> MemberQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def in_units(self, units) -> MemberQuerySet:
        return self.filter(unit__in=units)

    def search(self, text: str, *, from_start: bool = False) -> MemberQuerySet:
        """Members whose name matches ``text`` (accents and case aside), anywhere in it or
        from its start, or whose citizen ID or party card number is ``text``
        (``members.search.search``)."""
        return name_search.search(self, text, from_start=from_start)

    def from_floor_of_prefix(self, text: str) -> MemberQuerySet:
        """Members from where a walk of the name order for a prefix's matches may start
        (``members.search.from_floor_of_prefix``)."""
        return name_search.from_floor_of_prefix(self, text)

    def with_probation_start(self) -> MemberQuerySet:
        """Annotate ``probation_start``: ``rules.probation_start`` in SQL, for a list in one
        query (the ceremony of the latest (re-)admission among our events, else
        ``admitted_on``); ``rules.probation_end`` gives the end from it.
        ``tests/members/test_probation_pins.py`` holds the two equal."""
        latest_ceremony = (
            Event.objects.filter(member=OuterRef("pk"), kind__in=ADMISSION_KINDS)
            .order_by("-effective_date", "-pk")
            .values("ceremony_date")[:1]
        )
        return self.annotate(
            probation_start=Coalesce(
                Subquery(latest_ceremony, output_field=models.DateField()), F("admitted_on")
            )
        )

    def vietnamese_order(self) -> MemberQuerySet:
        return self.order_by("name_sort_key", "pk")


class Member(models.Model):
    """A party member: the person (form 2-HSĐV) plus state cached from their events."""

    citizen_id_validator = RegexValidator(r"^[0-9]{12}$", _("Số CCCD gồm đúng 12 chữ số."))

    full_name = models.CharField(_("họ và tên"), max_length=150)
    gender = models.CharField(_("giới tính"), max_length=10, choices=choices.Gender.choices)
    date_of_birth = models.DateField(_("ngày sinh"))
    place_of_birth = models.CharField(_("nơi sinh"), max_length=200, blank=True)
    hometown = models.CharField(_("quê quán"), max_length=200, blank=True)
    residence = models.CharField(_("nơi cư trú"), max_length=300, blank=True)
    ethnicity = models.CharField(
        _("dân tộc"),
        max_length=2,
        choices=choices.Ethnicity.choices,
        default=choices.Ethnicity.KINH,
    )
    religion = models.CharField(
        _("tôn giáo"),
        max_length=20,
        choices=choices.Religion.choices,
        default=choices.Religion.NONE,
    )
    occupation = models.CharField(_("nghề nghiệp"), max_length=200, blank=True)
    occupation_group = models.CharField(
        _("nhóm nghề nghiệp"),
        max_length=30,
        choices=choices.OccupationGroup.choices,
        default=choices.OccupationGroup.OTHER,
    )
    general_education = models.CharField(
        _("giáo dục phổ thông"),
        max_length=20,
        choices=choices.GeneralEducation.choices,
        default=choices.GeneralEducation.UPPER_SECONDARY,
    )
    professional_level = models.CharField(
        _("chuyên môn, nghiệp vụ"),
        max_length=20,
        choices=choices.ProfessionalLevel.choices,
        default=choices.ProfessionalLevel.NONE,
    )
    academic_title = models.CharField(
        _("học hàm"),
        max_length=20,
        choices=choices.AcademicTitle.choices,
        default=choices.AcademicTitle.NONE,
    )
    political_theory = models.CharField(
        _("lý luận chính trị"),
        max_length=20,
        choices=choices.PoliticalTheory.choices,
        default=choices.PoliticalTheory.NONE,
    )
    citizen_id = models.CharField(
        _("số CCCD"), max_length=12, blank=True, validators=[citizen_id_validator]
    )
    party_card_no = models.CharField(_("số thẻ đảng viên"), max_length=20, blank=True)
    personal_history_no = models.CharField(_("số lý lịch"), max_length=20, blank=True)
    youth_union_member = models.BooleanField(_("là đoàn viên khi vào Đảng"), default=False)
    private_business_owner = models.BooleanField(_("là chủ doanh nghiệp tư nhân"), default=False)
    married_to_foreigner = models.BooleanField(_("có vợ/chồng là người nước ngoài"), default=False)

    # Search and sort keys, computed from full_name on save (see common.vntext).
    name_folded = models.CharField(max_length=150, editable=False, blank=True)
    name_sort_key = models.CharField(max_length=SORT_KEY_LENGTH, editable=False, blank=True)

    # Cached from the events: written only by members.services (see the module docstring).
    # status and unit are replayable from the events; admitted_on and recognized_on are
    # record facts that the services keep equal to the events where those exist.
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, editable=False
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("chi bộ sinh hoạt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="members",
    )
    # The closure's rows of ``unit``, joined directly (a unit page: each child's members now).
    closure = ClosureRows()
    # The cell that keeps the member's file: the current cell, or the last one for members who
    # left. Scoping goes by it (a ward's staff still see their former members' records).
    record_unit = models.ForeignKey(
        Unit,
        verbose_name=_("chi bộ quản lý hồ sơ"),
        on_delete=models.PROTECT,
        editable=False,
        related_name="records",
        db_index=False,  # member_record_name_idx leads with it
    )
    admitted_on = models.DateField(_("ngày vào Đảng"), null=True, blank=True)
    recognized_on = models.DateField(_("ngày chính thức"), null=True, blank=True)

    # Optimistic locking of edits to the record: a save names the version it was made from.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = MemberQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["name_folded", "name_sort_key", "updated_at"])

    class Meta:
        verbose_name = _("đảng viên")
        verbose_name_plural = _("đảng viên")
        ordering = ["name_sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen_id"],
                condition=~Q(citizen_id=""),
                name="member_citizen_id_unique",
                violation_error_message=_("Số CCCD này đã có trong hồ sơ của đảng viên khác."),
            ),
            models.UniqueConstraint(
                fields=["party_card_no"],
                condition=~Q(party_card_no=""),
                name="member_party_card_unique",
                violation_error_message=_("Số thẻ đảng viên này đã có trong hồ sơ khác."),
            ),
            models.CheckConstraint(
                condition=Q(citizen_id="") | Q(citizen_id__regex=r"^[0-9]{12}$"),
                name="member_citizen_id_12_digits",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="member_status_valid"
            ),
            # On a cell's roll exactly while active.
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ACTIVE_STATUSES], unit__isnull=False)
                | (~Q(status__in=[s.value for s in ACTIVE_STATUSES]) & Q(unit__isnull=True)),
                name="member_unit_iff_active",
            ),
            models.CheckConstraint(
                condition=Q(recognized_on__isnull=True)
                | Q(admitted_on__isnull=False, recognized_on__gte=F("admitted_on")),
                name="member_recognized_after_admitted",
            ),
        ]
        indexes = [
            # Member lists of a unit, in Vietnamese name order.
            models.Index(fields=["unit", "name_sort_key"], name="member_unit_sort_idx"),
            # Everyone in Vietnamese name order (a superuser's list, a province's first page).
            # The folded name and the record's cell carried too (PostgreSQL): a walk of the
            # name order that keeps a scope's rows or a name's matches (a province's page 10;
            # a prefix with more matches than the count's cap) reads the index alone, not a
            # row per entry.
            models.Index(
                fields=["name_sort_key", "id"],
                name="member_sort_idx",
                include=["name_folded", "record_unit"],
            ),
            # Name search from the start of the folded name: LIKE 'x%'. The pattern operator
            # class lets PostgreSQL use it under the ICU collation (SQLite ignores opclasses).
            # Search anywhere in the name looks for the names in the dictionary of names
            # (``MemberName``, with its trigram index), then finds their members here
            # (name_folded = each name).
            # With the record's cell beside the name, a search is counted, and scoped, from the
            # indexes alone: a prefix over the whole country (name first), any search within a
            # scope (cell first: one seek per cell). With
            # the sort key and id carried too (PostgreSQL; SQLite has no INCLUDE), a page of
            # matches is sorted from them alone (the member list's ``Bytewise`` order).
            models.Index(
                fields=["name_folded", "record_unit"],
                name="member_name_prefix_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
                include=["name_sort_key", "id"],
            ),
            models.Index(
                fields=["record_unit", "name_folded"],
                name="member_record_name_idx",
                opclasses=["int8_ops", "varchar_pattern_ops"],
                include=["name_sort_key", "id"],
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        """Saves the row and its name's keys; nothing else (the name's dictionary entry is
        the writer's to add first: ``members.search.ensure_names``)."""
        self.name_folded = fold(self.full_name)
        self.name_sort_key = name_sort_key(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_folded", "name_sort_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.full_name = normalize_spaces(self.full_name)
        self.citizen_id = self.citizen_id.strip()
        self.party_card_no = self.party_card_no.strip()

    def get_constraints(self):
        """The constraints ``full_clean`` and the forms validate in Python: the unique ones
        (their messages name the field, for the forms and a roster's rows). The check
        constraints are the database's alone: each holds a state the event services set and
        refuse to set wrong with a message of their own (status, cell, dates), or a format
        the field's own validator checks first (the citizen ID's 12 digits). Django would
        validate each by a query built from every field of the record, a large share of a
        roster's check and commit per member (``docs/performance.md``)."""
        return [
            (model, [c for c in constraints if not isinstance(c, models.CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def state(self) -> MemberState:
        return MemberState(
            status=self.status or None, unit_id=self.unit_id, record_unit_id=self.record_unit_id
        )

    def derived_state(self) -> MemberState:
        """The state replayed from this member's events: what the cached fields must equal."""
        return MemberState.replay(self.events.standing().order_by("effective_date", "pk"))


@dataclasses.dataclass(frozen=True)
class MemberState:
    """What a member's events say about them now. ``after`` is the one transition function."""

    status: str | None = None
    unit_id: int | None = None  # the cell whose roll they are on (None once they left)
    record_unit_id: int | None = None  # the cell that keeps their file: the last one they were on

    def after(self, event: Event) -> MemberState:
        K = Event.Kind
        kind = event.kind
        if kind in Event.ADMISSION_KINDS:
            return MemberState(Status.PROBATIONARY, event.unit_id, event.unit_id)
        if kind == K.RECOGNITION:
            return dataclasses.replace(self, status=Status.OFFICIAL)
        if kind in (K.TRANSFER_IN, K.RESTORATION):
            # Both say whether the member comes back on probation or as an official member.
            status = Status.PROBATIONARY if event.probationary else Status.OFFICIAL
            return MemberState(status, event.unit_id, event.unit_id)
        if kind == K.TRANSFER_OUT:
            # Within the system, the TRANSFER_IN of the same move follows on the same day.
            return MemberState(Status.TRANSFERRED_OUT, None, event.unit_id)
        if kind in Event.REMOVAL_KINDS:
            return MemberState(Status.REMOVED, None, event.unit_id)
        if kind == K.DEATH:
            return MemberState(Status.DEAD, None, event.unit_id)
        return self  # temporary transfer, exemption: the roll is unchanged

    @classmethod
    def replay(cls, events: Iterable[Event]) -> MemberState:
        state = cls()
        for event in events:
            state = state.after(event)
        return state
