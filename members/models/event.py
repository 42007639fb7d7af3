"""Membership events (the record), and the periods on a cell's roll derived from them by
``members.services`` (what is derived from what: the package's docstring)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from branches.models import ClosureRows, Unit


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
    # Issue 24 (R12-R14): the grounds the reasons above did not name.
    CARD_RETURNED = "card_returned", _("Tự ý trả thẻ đảng viên hoặc tự hủy thẻ đảng viên")
    POLITICAL_STANDARDS = (
        "political_standards",
        _("Không đáp ứng tiêu chuẩn chính trị theo quy định của Bộ Chính trị"),
    )
    ON_REQUEST_HARDSHIP = (
        "on_request_hardship",
        _("Xin ra khỏi Đảng vì hoàn cảnh gia đình đặc biệt khó khăn"),
    )
    DISUNITY = "disunity", _("Gây mất đoàn kết nội bộ nghiêm trọng")
    CORRUPTION_CONVICTION = "corruption_conviction", _("Bị kết án hình sự về tội tham nhũng")
    SERIOUS_CRIME_CONVICTION = (
        "serious_crime_conviction",
        _("Bị kết án hình sự về tội phạm nghiêm trọng trở lên"),
    )
    CRIME_CONVICTION = "crime_conviction", _("Bị kết án hình sự về tội phạm ít nghiêm trọng")


class TemporaryPurpose(models.TextChoices):
    """R17: why a member attends elsewhere for a while, which sets the longest term."""

    NONE = "", _("—")
    WORK = "work", _("Thay đổi nơi cư trú, nơi làm việc")
    STUDY = "study", _("Đi học")


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
    def standing(self) -> EventQuerySet:
        """Events not cancelled: the ones that make a member's state, rolls and reports."""
        return self.filter(cancelled_at__isnull=True)

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
    # Removals after which the Party Statutes allow no re-admission (R14; the rule's list
    # and its wording live in ``members.rules.NEVER_READMITTED``).
    FINAL_REASONS = (RemovalReason.QUIT_ACTIVITIES, RemovalReason.ON_REQUEST)

    # (No index of their own: event_member_timeline_idx and event_unit_date_cover_idx begin
    # with them.)
    member = models.ForeignKey(
        "members.Member",
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
        "members.Directive",
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
    # Recognition (R8): the day of the cell's resolution, for the deadlines.
    resolution_date = models.DateField(_("ngày nghị quyết của chi bộ"), null=True, blank=True)
    # Re-admission (R14): the provincial standing committee's written consent, and the day a
    # criminal record was cleared (the 60 months run from it).
    consent_no = models.CharField(_("số văn bản đồng ý của tỉnh ủy"), max_length=50, blank=True)
    consent_date = models.DateField(_("ngày văn bản đồng ý của tỉnh ủy"), null=True, blank=True)
    record_cleared_on = models.DateField(_("ngày được xóa án tích"), null=True, blank=True)
    notes = models.TextField(_("ghi chú"), blank=True)
    # R16, R17 (issue 24): an exemption ends when the member returns to activities, a
    # temporary transfer when the member returns home (docs/decisions/0009-periods-on-events.md).
    ended_on = models.DateField(_("ngày kết thúc"), null=True, blank=True)
    # R17: a temporary transfer's purpose and the last day of its term.
    purpose = models.CharField(
        _("mục đích"),
        max_length=10,
        choices=TemporaryPurpose.choices,
        blank=True,
        default=TemporaryPurpose.NONE,
    )
    term_end = models.DateField(_("thời hạn đến"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhập"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("nhập lúc"), auto_now_add=True)

    # Putting an event right (members.services.corrections): a cancelled event stays in the
    # timeline, marked, and counts nowhere; a corrected one says who corrected it and why.
    cancelled_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người hủy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancellation_reason = models.TextField(_("lý do hủy"), blank=True)
    cancellation_decision = models.CharField(_("quyết định hủy bỏ"), max_length=200, blank=True)
    corrected_at = models.DateTimeField(_("sửa lúc"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người sửa"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    correction_reason = models.TextField(_("lý do sửa"), blank=True)

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
                # (A death is a fact; the notice recording it may well come later. A member
                # recognized is official from the end of probation, decided later: R8.)
                condition=Q(kind__in=[EventKind.DEATH, EventKind.RECOGNITION])
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
            # R16, R17: only an exemption or a temporary transfer ends, not before it starts;
            # only a temporary transfer has a purpose and a term, ending after it starts.
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | (
                    Q(kind__in=[EventKind.EXEMPTION, EventKind.TEMPORARY_TRANSFER])
                    & Q(ended_on__gte=F("effective_date"))
                ),
                name="event_ended_only_periods",
            ),
            models.CheckConstraint(
                condition=Q(kind=EventKind.TEMPORARY_TRANSFER)
                | (Q(purpose="") & Q(term_end__isnull=True)),
                name="event_term_only_temporary",
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=F("effective_date")),
                name="event_term_after_start",
            ),
            # Never two exemptions open at once, nor two temporary transfers.
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(kind__in=[EventKind.EXEMPTION, EventKind.TEMPORARY_TRANSFER])
                & Q(ended_on__isnull=True),
                name="event_one_open_period",
                violation_error_message=_("Đảng viên đang có một lần như vậy chưa kết thúc."),
            ),
            # A cancellation or a correction says why.
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancellation_reason=""),
                name="event_cancellation_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(corrected_at__isnull=True) | ~Q(correction_reason=""),
                name="event_correction_has_reason",
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


def open_on(day) -> Q:
    """A roll period is open at the end of ``day``: the member is on that cell's roll after
    the day's events. The one definition of "on the roll", for lists and for the reports."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


def open_before(day) -> Q:
    """A roll period is open at the end of the day before ``day`` (``day`` may be an F
    expression, whose day before SQL cannot take portably)."""
    return Q(start_date__lt=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


class MembershipQuerySet(models.QuerySet):
    def open_on(self, day: datetime.date) -> MembershipQuerySet:
        """Periods on a roll at the end of ``day`` (after that day's events)."""
        return self.filter(open_on(day))


class Membership(models.Model):
    """Derived: ``member`` was on ``unit``'s roll from ``start_date`` until before ``end_date``."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="memberships"
    )
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
