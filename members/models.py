"""Members, their membership events, and the periods they spent on a cell's roll.

What is stored, and what is derived from what:

- ``Event`` is the record: one row per decision (admission, recognition, transfer, removal,
  death, exemption, restoration), never rewritten to mean something else.
- ``Membership`` (a member on a cell's roll from ``start_date`` until before ``end_date``) and
  the cached ``Member.status`` and ``Member.unit`` are derived from the events. They are
  written only by ``members.services``, in the same transaction as the event, through
  ``MemberState.after``, which is also what ``Member.derived_state()`` replays; tests check
  that the two never differ.
- ``Member.admitted_on`` / ``recognized_on`` are the record's "ngày vào Đảng" and "ngày chính
  thức": written by the admission and recognition services, typed for members who arrive from
  outside the system (their admission is not among our events).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, StrIndex
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from branches.models import ClosureRows, Unit
from common.vntext import (
    SORT_KEY_LENGTH,
    after_prefix,
    fold,
    name_sort_floor,
    name_sort_key,
    normalize_spaces,
)

from . import choices


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


@models.CharField.register_lookup
class Prefix(StartsWith):
    """``startswith``, case-sensitive, written as the range it is in byte order: ``prefix <=
    column < after_prefix(prefix)`` (PostgreSQL's pattern operators, served by a
    ``varchar_pattern_ops`` index; SQLite's own comparison, its columns' collation being
    bytewise). PostgreSQL answers a LIKE from the same range of the index but tests LIKE again
    on every entry of it: a province's "nguyen thi", 67,000 entries read for its 2,500, 2.5-3
    ms of its ~20. Other databases get LIKE."""

    lookup_name = "prefix"

    def as_postgresql(self, compiler, connection):
        return self._as_range(compiler, connection, "~>=~", "~<~")

    def as_sqlite(self, compiler, connection):
        return self._as_range(compiler, connection, ">=", "<")

    def _as_range(self, compiler, connection, at_least: str, below: str):
        if not isinstance(self.rhs, str):
            return self.as_sql(compiler, connection)
        column, column_params = self.process_lhs(compiler, connection)
        sql = f"{column} {at_least} %s"
        params = [*column_params, self.rhs]
        upper = after_prefix(self.rhs)
        if upper is not None:
            sql = f"({sql} AND {column} {below} %s)"
            params += [*column_params, upper]
        return sql, params


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
        """Members whose name matches ``text`` accent- and case-insensitively ('nguyen van ly'
        finds 'Nguyễn Văn Lý'), anywhere in the name or only at its start (``from_start``:
        'nguyen v' finds him, 'van ly' does not); or whose citizen ID or party card number is
        exactly ``text`` (only a text with a digit in it can be one). One condition, so that
        the database can combine it with the scope's (the name's index, or the cell's few rows
        first); a name alone is answered from the (unit, name) and (name, unit) indexes without
        reading the rows, which an OR with the numbers' indexes would force."""
        text = text.strip()
        key = fold(text)
        if not key:
            return self
        members = self
        if from_start:
            name = Q(name_folded__prefix=key)
        else:
            # Twice the same test, for the database to start from whichever is smaller: the
            # names that contain it, from the dictionary of names (``MemberName``), then their
            # members from the name's index (the country, a province); or the scope's own
            # members, each name tested on the index entry before it is looked up (a
            # commune's "sen": 1 ms instead of 10-12 ms looking up each of its 3,570). The test
            # on the entry is STRPOS/INSTR, not LIKE: PostgreSQL estimates LIKE from its
            # statistics and, multiplying two estimates of one fact, expected a province's
            # 1,651 matches to be 1 (a nested loop through its closure, 200 ms instead of 40).
            names = MemberName.objects.filter(name__contains=key).values("name")
            members = self.alias(name_at=StrIndex("name_folded", Value(key)))
            name = Q(name_at__gt=0, name_folded__in=names)
        if any(c.isdigit() for c in text):
            name |= Q(citizen_id=text) | Q(party_card_no=text)
        return members.filter(name)

    def from_floor_of_prefix(self, text: str) -> MemberQuerySet:
        """Members at or after, in name order, the lowest sort key that a name starting with
        ``text`` (folded) can have: the least floor of the dictionary's names that start with
        it (``MemberName.sort_floor``). It removes none of that prefix's matches; it lets a
        walk of the name order for them start near the first instead of at the first name
        (nationwide "nguyen thi": 79,000 other entries walked before a page of its matches,
        12 ms; from its floor, 2,700 and 1 ms)."""
        floor = (
            MemberName.objects.filter(name__prefix=fold(text))
            .order_by("sort_floor")
            .values("sort_floor")[:1]
        )
        return self.filter(name_sort_key__gte=Subquery(floor))

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
            # row per entry ("nguyen thi" nationwide: 80,000 rows, 124 → 10 ms).
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
            # scope (cell first: one seek per cell; a province's 11,000 cells in ~25 ms). With
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
        self.name_folded = fold(self.full_name)
        self.name_sort_key = name_sort_key(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_folded", "name_sort_key"}
        if update_fields is None or "full_name" in update_fields:
            MemberName.objects.bulk_create([MemberName.of(self.name_folded)], ignore_conflicts=True)
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
        the field's own validator checks first (the citizen ID's 12 digits). Django validates
        each by a query built from every field of the record, ~2.5 ms apiece: the four cost a
        roster's check and commit a third of their time per member."""
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
        return MemberState.replay(self.events.order_by("effective_date", "pk"))


class EventKind(models.TextChoices):
    ADMISSION = "admission", _("Kết nạp")
    READMISSION = "readmission", _("Kết nạp lại")
    RECOGNITION = "recognition", _("Công nhận chính thức")
    TRANSFER_IN = "transfer_in", _("Chuyển đến")
    TRANSFER_OUT = "transfer_out", _("Chuyển đi")
    TEMPORARY_TRANSFER = "temporary_transfer", _("Chuyển sinh hoạt tạm thời")
    STRUCK_OFF = "struck_off", _("Xóa tên")
    DISCHARGED = "discharged", _("Cho ra khỏi Đảng")
    EXPELLED = "expelled", _("Khai trừ")
    DEATH = "death", _("Từ trần")
    EXEMPTION = "exemption", _("Miễn sinh hoạt")
    RESTORATION = "restoration", _("Phục hồi đảng tịch")


class RemovalReason(models.TextChoices):
    NONE = "", _("—")
    QUIT_ACTIVITIES = "quit_activities", _("Tự ý bỏ sinh hoạt đảng")
    UNPAID_DUES = "unpaid_dues", _("Không đóng đảng phí 3 tháng trong năm không có lý do")
    NO_IMPROVEMENT = (
        "no_improvement",
        _("Giảm sút ý chí phấn đấu, không tiến bộ sau 12 tháng giúp đỡ"),
    )
    REPEATED_VIOLATION = "repeated_violation", _("Vi phạm tư cách đảng viên 2 năm liền")
    PROBATION_FAILED = "probation_failed", _("Dự bị không đủ điều kiện công nhận chính thức")
    ON_REQUEST = "on_request", _("Xin ra khỏi Đảng")
    SCREENING = "screening", _("Không còn đủ tư cách qua rà soát, sàng lọc")
    DISCIPLINE = "discipline", _("Vi phạm kỷ luật Đảng")
    OTHER = "other", _("Lý do khác")


# Kinds by what they do (module level so that Meta's constraints can name them).
ADMISSION_KINDS = (EventKind.ADMISSION, EventKind.READMISSION)
REMOVAL_KINDS = (EventKind.STRUCK_OFF, EventKind.DISCHARGED, EventKind.EXPELLED)
TRANSFER_KINDS = (EventKind.TRANSFER_IN, EventKind.TRANSFER_OUT, EventKind.TEMPORARY_TRANSFER)
# Events that open or close a period on a cell's roll (and so enter the balance).
OPENING_KINDS = (
    EventKind.ADMISSION,
    EventKind.READMISSION,
    EventKind.TRANSFER_IN,
    EventKind.RESTORATION,
)
CLOSING_KINDS = (EventKind.TRANSFER_OUT, *REMOVAL_KINDS, EventKind.DEATH)


class EventQuerySet(models.QuerySet):
    def visible_to(self, user) -> EventQuerySet:
        """Events of the members the user may see: their whole timeline, wherever it was."""
        return self.filter(member__record_unit_id__in=Unit.objects.ids_visible_to(user))


class Event(models.Model):
    """One membership event, with the decision it was made by."""

    Kind = EventKind
    Reason = RemovalReason

    ADMISSION_KINDS = ADMISSION_KINDS
    REMOVAL_KINDS = REMOVAL_KINDS
    TRANSFER_KINDS = TRANSFER_KINDS
    OPENING_KINDS = OPENING_KINDS
    CLOSING_KINDS = CLOSING_KINDS
    # Removals after which the Party Statutes allow no re-admission.
    FINAL_REASONS = (RemovalReason.QUIT_ACTIVITIES, RemovalReason.ON_REQUEST)

    # (No index of their own: event_member_timeline_idx and event_unit_date_cover_idx begin
    # with them.)
    member = models.ForeignKey(
        Member,
        verbose_name=_("đảng viên"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    kind = models.CharField(_("loại sự kiện"), max_length=20, choices=Kind.choices)
    effective_date = models.DateField(_("ngày hiệu lực"))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("chi bộ"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        help_text=_("Chi bộ có đảng viên trong danh sách khi sự kiện xảy ra."),
    )
    # The closure's rows of ``unit``, joined directly (reports: "events under X on their day").
    closure = ClosureRows()
    # Transfers: the unit at the other end, or its name when it is outside this system.
    other_unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị đi/đến"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    other_unit_name = models.CharField(
        _("đơn vị đi/đến ngoài hệ thống"), max_length=200, blank=True
    )
    # Transfers in and restorations: whether the member comes (back) still on probation.
    probationary = models.BooleanField(_("đang dự bị"), default=False)

    decision_no = models.CharField(_("số quyết định"), max_length=50, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    issuing_body = models.CharField(_("cơ quan ra quyết định"), max_length=200, blank=True)
    directive = models.ForeignKey(
        Directive,
        verbose_name=_("thực hiện theo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    ceremony_date = models.DateField(_("ngày lễ kết nạp"), null=True, blank=True)
    sponsors = models.CharField(_("người giới thiệu"), max_length=300, blank=True)
    reason = models.CharField(
        _("lý do"), max_length=30, choices=Reason.choices, blank=True, default=Reason.NONE
    )
    notes = models.TextField(_("ghi chú"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhập"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("nhập lúc"), auto_now_add=True)

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sự kiện")
        verbose_name_plural = _("sự kiện")
        ordering = ["effective_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            # Admissions count on their decision's date (party age starts there), and have a
            # ceremony on or after it; no other kind has a ceremony.
            models.CheckConstraint(
                condition=(
                    Q(kind__in=ADMISSION_KINDS)
                    & Q(decision_date__isnull=False, ceremony_date__isnull=False)
                    & Q(decision_date=F("effective_date"))
                    & Q(ceremony_date__gte=F("decision_date"))
                )
                | (~Q(kind__in=ADMISSION_KINDS) & Q(ceremony_date__isnull=True)),
                name="event_admission_dates",
            ),
            # Every event but a death is made by a decision with a number and a date.
            models.CheckConstraint(
                condition=Q(kind=EventKind.DEATH)
                | (~Q(decision_no="") & Q(decision_date__isnull=False)),
                name="event_decision_required",
            ),
            models.CheckConstraint(
                # (A death is a fact; the notice recording it may well come later.)
                condition=Q(kind=EventKind.DEATH)
                | Q(decision_date__isnull=True)
                | Q(decision_date__lte=F("effective_date")),
                name="event_decided_before_effective",
            ),
            # Removals say why; nothing else has a removal reason.
            models.CheckConstraint(
                condition=(Q(kind__in=REMOVAL_KINDS) & ~Q(reason=""))
                | (~Q(kind__in=REMOVAL_KINDS) & Q(reason="")),
                name="event_reason_iff_removal",
            ),
            models.CheckConstraint(
                condition=Q(kind=EventKind.EXPELLED) | ~Q(reason="discipline"),
                name="event_discipline_only_expulsion",
            ),
            # Transfers name the other end (a unit here, or a name outside); nothing else does.
            models.CheckConstraint(
                condition=(
                    Q(kind__in=TRANSFER_KINDS)
                    & (Q(other_unit__isnull=False) | ~Q(other_unit_name=""))
                )
                | (
                    ~Q(kind__in=TRANSFER_KINDS) & Q(other_unit__isnull=True) & Q(other_unit_name="")
                ),
                name="event_other_unit_iff_transfer",
            ),
            models.CheckConstraint(
                condition=Q(probationary=False)
                | Q(kind__in=[EventKind.TRANSFER_IN, EventKind.RESTORATION]),
                name="event_probationary_only_arrivals",
            ),
        ]
        indexes = [
            # Counting by kind for a subtree and a period (reports.figures, through the
            # closure): seek each cell, then the date range. Covering, so that the count reads
            # the index alone: kind, directive and other unit for the counts, member and id
            # for "struck off while probationary" (the member's previous events).
            models.Index(
                fields=["unit", "effective_date"],
                include=["kind", "directive", "other_unit", "member", "id"],
                name="event_unit_date_cover_idx",
            ),
            # Counting for the unit that spans the tree (no tree filter at all) and its yearly
            # flows: the period's range of days, covering as above.
            models.Index(
                fields=["effective_date", "kind"],
                include=["directive", "other_unit", "member", "id"],
                name="event_date_kind_cover_idx",
            ),
            # A member's timeline in order (effective date, id), and the status-setting event
            # just before a removal ("struck off while probationary"), from the index alone.
            models.Index(
                fields=["member", "effective_date", "id"],
                include=["kind", "probationary"],
                name="event_member_timeline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member} · {self.effective_date:%d/%m/%Y}"


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


class RecordView(models.Model):
    """Who opened whose record, and when: party membership is sensitive personal data."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người xem"), on_delete=models.PROTECT
    )
    member = models.ForeignKey(
        Member, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="views"
    )
    viewed_at = models.DateTimeField(_("lúc"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("lượt xem hồ sơ")
        verbose_name_plural = _("lượt xem hồ sơ")
        ordering = ["-viewed_at"]
        indexes = [
            # The latest views of one record (member page, audit).
            models.Index(fields=["member", "-viewed_at"], name="recordview_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.member_id} · {self.viewed_at:%d/%m/%Y %H:%M}"


class MembershipQuerySet(models.QuerySet):
    def open_on(self, day: datetime.date) -> MembershipQuerySet:
        """Periods on a roll at the end of ``day`` (after that day's events)."""
        return self.filter(start_date__lte=day).filter(
            Q(end_date__isnull=True) | Q(end_date__gt=day)
        )


class MemberName(models.Model):
    """A name (folded, as ``Member.name_folded``) that some member's record has, or had: the
    dictionary that a search anywhere in a name looks in first.

    Names repeat: the nation's 6.1 million records have ~370,000 distinct ones. A search
    anywhere in the name ("sen") finds the names that contain it here, by the trigram index
    (PostgreSQL, migration 0011), then their members from the name's index
    (``member_name_prefix_idx``, which carries the sort key and id), without reading a
    member's row: nationwide "sen", 2,451 names and 43,350 members, 142 → 45 ms. Looking for it
    in the members' own names instead must read each candidate's row (a trigram index cannot
    answer from the index alone).

    Written by ``Member.save`` before the member (and by the synthetic generator's bulk load);
    on PostgreSQL a foreign key from ``members_member.name_folded`` (migration 0011) refuses a
    member whose name is missing here. Never deleted: a name no one has any more matches no
    one.
    """

    name = models.CharField(_("tên (không dấu)"), max_length=150, primary_key=True)
    # The lowest sort key a member of this name can have (``text.name_sort_floor``): the
    # least of a prefix's names' floors is where a walk of the name order for its matches
    # may start. "" (no bound) is always right, only slow.
    sort_floor = models.CharField(
        _("khóa sắp xếp thấp nhất"), max_length=SORT_KEY_LENGTH, blank=True, default=""
    )

    class Meta:
        verbose_name = _("tên trong từ điển tìm kiếm")
        verbose_name_plural = _("từ điển tên để tìm kiếm")
        indexes = [
            # A prefix's names and their floors, from the index alone (PostgreSQL). Django's
            # own pattern index for the primary key, the same without the floors, is dropped
            # by migration 0013; an AlterField of ``name`` would create it again.
            models.Index(
                fields=["name"],
                name="membername_prefix_floor_idx",
                opclasses=["varchar_pattern_ops"],
                include=["sort_floor"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def of(cls, folded_name: str) -> MemberName:
        return cls(name=folded_name, sort_floor=name_sort_floor(folded_name))


class Membership(models.Model):
    """Derived: ``member`` was on ``unit``'s roll from ``start_date`` until before ``end_date``."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    # (No index of its own: membership_unit_idx begins with it.)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="memberships", db_index=False
    )
    # The closure's rows of ``unit``, joined directly (reports: "members of X on D").
    closure = ClosureRows()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    start_event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    end_event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("thời gian sinh hoạt (dẫn xuất)")
        verbose_name_plural = _("thời gian sinh hoạt (dẫn xuất)")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(end_date__isnull=True), name="membership_one_open"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="membership_interval_ordered",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True, end_event__isnull=True)
                | Q(end_date__isnull=False, end_event__isnull=False),
                name="membership_end_has_event",
            ),
        ]
        indexes = [
            # Members of a cell on a date: seek the cell, then the start date (covering: the
            # subtree's counts in reports.figures read the index alone).
            models.Index(
                fields=["unit", "start_date"], include=["end_date"], name="membership_unit_idx"
            ),
            # Members on a date for the unit that spans the tree (reports.figures, no tree
            # filter): the periods begun by then, with their ends, from the index alone.
            models.Index(fields=["start_date"], include=["end_date"], name="membership_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.unit_id} ({self.start_date}–{self.end_date or ''})"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Chờ kiểm tra")
    CHECKING = "checking", _("Đang kiểm tra")
    INVALID = "invalid", _("Có lỗi, chưa nhập")
    READY = "ready", _("Đã kiểm tra, chờ xác nhận")
    COMMITTING = "committing", _("Đang ghi")
    DONE = "done", _("Đã nhập")
    DISCARDED = "discarded", _("Đã hủy")
    FAILED = "failed", _("Lỗi hệ thống")


class RosterImport(models.Model):
    """An uploaded roster workbook on its way in: checked first, written only when confirmed.

    The file itself is kept in the database (``content``), so that any app server or worker
    can read it, and its rows are staged in ``RosterImportRow`` (the preview pages them; the
    check and the commit stream them), so memory stays bounded whatever the file's size.
    The workflow lives in ``members.roster``; this model only records where an import stands.
    """

    Status = ImportStatus

    # Statuses in which a worker is (or is about to be) busy with the import.
    BUSY_STATUSES = (Status.UPLOADED, Status.CHECKING, Status.COMMITTING)
    # Statuses a worker sets when it takes the import up (with ``taken_at``).
    WORKING_STATUSES = (Status.CHECKING, Status.COMMITTING)
    # Statuses in which no worker is at the import: it may be checked again or discarded.
    SETTLED_STATUSES = (Status.INVALID, Status.FAILED, Status.READY)

    file_name = models.CharField(_("tên tệp"), max_length=255)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))
    content = models.BinaryField(_("nội dung tệp"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    # The uploader's interface language: the check and the commit, which may run in a worker
    # anywhere, write the errors and the summary in it (they are stored as text).
    language = models.CharField(
        _("ngôn ngữ"), max_length=7, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Problems with the file as a whole (not a workbook, no header row, …): list of strings.
    file_errors = models.JSONField(_("lỗi của tệp"), default=list, blank=True)
    # Counts by action and the number of errors, as of the last check or commit.
    summary = models.JSONField(_("tóm tắt"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # When a worker took the import up (set with CHECKING or COMMITTING, cleared when work is
    # queued): an import taken but no longer held by its worker was interrupted
    # (members.roster.locks).
    taken_at = models.DateTimeField(_("bắt đầu xử lý lúc"), null=True, blank=True)
    checked_at = models.DateTimeField(_("kiểm tra lúc"), null=True, blank=True)
    committed_at = models.DateTimeField(_("nhập lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập danh sách")
        verbose_name_plural = _("lần nhập danh sách")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="rosterimport_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(committed_at__isnull=True) | Q(status="done"),
                name="rosterimport_committed_only_done",
            ),
        ]
        indexes = [
            # A user's latest imports (the import page).
            models.Index(fields=["created_by", "-created_at"], name="rosterimport_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%d/%m/%Y %H:%M})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("members:roster_import_detail", args=[self.pk])

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY_STATUSES


class RosterImportRow(models.Model):
    """One data row of an uploaded workbook, parsed, and what the import will do with it."""

    class Sheet(models.TextChoices):
        MEMBERS = "members", _("Đảng viên")
        EVENTS = "events", _("Sự kiện")

    class Action(models.TextChoices):
        NONE = "", _("—")
        CREATE = "create", _("Thêm mới")
        UPDATE = "update", _("Cập nhật")
        UNCHANGED = "unchanged", _("Không đổi")
        SKIP = "skip", _("Bỏ qua")
        # Rows of the events sheet
        NEW_EVENT = "new_event", _("Sự kiện mới")
        KNOWN_EVENT = "known_event", _("Sự kiện đã có")

    class Decision(models.TextChoices):
        """What the user chose for a likely duplicate."""

        UNDECIDED = "", _("Chưa chọn")
        CREATE = "create", _("Người khác: tạo hồ sơ mới")
        SKIP = "skip", _("Cùng một người: bỏ qua dòng này")

    roster_import = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="rows")
    sheet = models.CharField(max_length=8, choices=Sheet.choices)
    number = models.PositiveIntegerField(_("dòng"))
    # The member a row is about, within the file: "c:<CCCD>", "p:<party card>" or "r:<row>".
    key = models.CharField(max_length=40)
    values = models.JSONField(default=dict)  # parsed cells by column key (dates as ISO text)
    action = models.CharField(max_length=12, choices=Action.choices, blank=True)
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member_version = models.PositiveIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # column key -> [old, new]
    # A likely duplicate: the earlier row of the file with the same person (found while
    # staging), and the message the preview shows (set by the plan, which also looks at the
    # members already recorded).
    duplicate_row = models.PositiveIntegerField(null=True, blank=True)
    duplicate_of = models.CharField(max_length=300, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [[column header, message], ...]
    error_count = models.PositiveIntegerField(default=0)  # len(errors), for filtering
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("dòng nhập danh sách")
        verbose_name_plural = _("dòng nhập danh sách")
        ordering = ["roster_import", "sheet", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster_import", "sheet", "number"], name="rosterimportrow_unique_row"
            ),
            models.CheckConstraint(
                condition=Q(sheet__in=["members", "events"]), name="rosterimportrow_sheet_valid"
            ),
        ]
        indexes = [
            # A member's rows of the events sheet, fetched a chunk of members at a time.
            models.Index(fields=["roster_import", "key"], name="rosterimportrow_key_idx"),
            # The preview's lists: rows with errors, by action.
            models.Index(
                fields=["roster_import", "error_count", "action"], name="rosterimportrow_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_sheet_display()}!{self.number}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Chờ chuẩn bị")
    BUILDING = "building", _("Đang chuẩn bị")
    READY = "ready", _("Sẵn sàng")
    FAILED = "failed", _("Lỗi")


class RosterExport(models.Model):
    """A unit's roster workbook prepared in the background, for a unit too large to export
    within a request (over ``settings.ROSTER_EXPORT_INLINE_MAX`` records: a province's
    196,000 take minutes, longer than a request may run).

    The workbook is kept in the database, in parts of at most 1 MiB (``RosterExportPart``), so
    that any worker can write it and any app server hand it out, neither holding the whole
    file in memory (a province's is 61 MB); only the person who asked for it may download
    it. Exports older than ``KEPT_FOR`` are deleted whenever anyone asks for a new one. The
    workflow lives in ``members.roster.exporting``; this model only records where an export
    stands.
    """

    Status = ExportStatus

    # Statuses in which a worker is (or is about to be) busy with the export. A worker that
    # dies leaves it BUILDING for good: its lock tells (``roster.exports_interrupted``), the
    # page says so, and the user asks again.
    BUSY_STATUSES = (Status.QUEUED, Status.BUILDING)
    KEPT_FOR = datetime.timedelta(days=7)

    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    current_only = models.BooleanField(_("chỉ đảng viên hiện có"), default=False)
    # The export holds what this user may see (their scope when it is built), and only they
    # may download it: their exports go with them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("yêu cầu lúc"), auto_now_add=True)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    started_at = models.DateTimeField(_("bắt đầu chuẩn bị lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), null=True, blank=True)
    # What the user is told when the export failed (the details are in the worker's log).
    error = models.TextField(_("lỗi"), blank=True)

    class Meta:
        verbose_name = _("tệp xuất danh sách")
        verbose_name_plural = _("tệp xuất danh sách")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="rosterexport_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(size__isnull=True) | Q(status=ExportStatus.READY),
                name="rosterexport_size_only_ready",
            ),
        ]
        indexes = [
            # A user's exports by age: the old ones deleted at each new request, the unit's
            # latest on the export page.
            models.Index(fields=["created_by", "created_at"], name="rosterexport_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} ({self.created_at:%d/%m/%Y %H:%M})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("members:roster_export_detail", args=[self.pk])

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY_STATUSES


class RosterExportPart(models.Model):
    """One part of a ready export's workbook: the file is the parts' data in ``number``
    order. Written with the export's READY in one transaction, deleted with the export."""

    export = models.ForeignKey(
        RosterExport, verbose_name=_("tệp xuất"), on_delete=models.CASCADE, related_name="parts"
    )
    number = models.PositiveIntegerField(_("phần số"))
    data = models.BinaryField(_("dữ liệu"))

    class Meta:
        verbose_name = _("phần của tệp xuất")
        verbose_name_plural = _("phần của tệp xuất")
        constraints = [
            models.UniqueConstraint(
                fields=["export", "number"], name="rosterexportpart_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.export_id}#{self.number}"
