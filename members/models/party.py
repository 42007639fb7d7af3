"""Party cards (R25) and official transfers between offices in two steps (R18), issue 24."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from branches.models import Unit


class CardKind(models.TextChoices):
    ISSUE = "issue", _("Phát thẻ")
    REPLACEMENT = "replacement", _("Cấp lại do mất thẻ")
    EXCHANGE = "exchange", _("Đổi sang thẻ gắn chip (2025)")


class PartyCard(models.Model):
    """One card handed to a member: first issue, replacement after loss, or exchange for the
    2025 chip card. The latest is the member's card; ``Member.party_card_no`` is kept equal to
    its number by ``services.cards`` in the same transaction."""

    Kind = CardKind

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("đảng viên"),
        on_delete=models.PROTECT,
        related_name="cards",
    )
    number = models.CharField(_("số thẻ"), max_length=20)
    kind = models.CharField(_("hình thức"), max_length=12, choices=CardKind.choices)
    issued_on = models.DateField(_("ngày phát thẻ"))
    decision_no = models.CharField(_("số quyết định"), max_length=50, blank=True)
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

    class Meta:
        verbose_name = _("thẻ đảng viên")
        verbose_name_plural = _("thẻ đảng viên")
        ordering = ["member", "issued_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CardKind.values), name="partycard_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(number=""), name="partycard_number_required"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.get_kind_display()} · {self.issued_on:%d/%m/%Y}"


class OfficeTransferQuerySet(models.QuerySet):
    def pending(self) -> OfficeTransferQuerySet:
        return self.filter(arrival__isnull=True)

    def sent_by(self, user) -> OfficeTransferQuerySet:
        """Sent from a cell the user may see."""
        return self.filter(from_unit_id__in=Unit.objects.ids_visible_to(user))

    def bound_for(self, user) -> OfficeTransferQuerySet:
        """On its way to a cell the user may enter arrivals for."""
        return self.filter(to_unit_id__in=Unit.objects.ids_editable_by(user))


class OfficeTransfer(models.Model):
    """R18: an official transfer in two steps. The sending office records the introduction
    (``departure``, a TRANSFER_OUT: the member leaves the roll that day); the receiving office
    records the arrival (``arrival``, a TRANSFER_IN onto ``to_unit``). Between the two the
    member is on no roll, and that gap counts against party age."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("đảng viên"),
        on_delete=models.PROTECT,
        related_name="office_transfers",
    )
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("chi bộ chuyển đi"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("chi bộ chuyển đến"), on_delete=models.PROTECT, related_name="+"
    )
    sent_on = models.DateField(_("ngày giới thiệu chuyển đi"))
    departure = models.OneToOneField(
        "members.Event", on_delete=models.PROTECT, related_name="office_departure"
    )
    arrival = models.OneToOneField(
        "members.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="office_arrival",
    )
    received_on = models.DateField(_("ngày tiếp nhận"), null=True, blank=True)

    objects = OfficeTransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("chuyển sinh hoạt chính thức giữa hai cấp ủy")
        verbose_name_plural = _("chuyển sinh hoạt chính thức giữa hai cấp ủy")
        ordering = ["sent_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(arrival__isnull=True), name="officetransfer_one_open"
            ),
            models.CheckConstraint(
                condition=Q(arrival__isnull=True, received_on__isnull=True)
                | Q(arrival__isnull=False, received_on__gte=F("sent_on")),
                name="officetransfer_received_after_sent",
            ),
            models.CheckConstraint(
                condition=~Q(from_unit=F("to_unit")), name="officetransfer_two_cells"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_unit_id} → {self.to_unit_id} ({self.sent_on})"
