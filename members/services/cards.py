"""Party cards (R25, issue 24): issued to official members; replaced after loss; exchanged
for the 2025 chip card. The history is ``PartyCard`` rows; ``Member.party_card_no`` (searched,
unique, in the roster) is kept equal to the latest card's number in the same transaction."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.dates import dmy

from ..models import CardKind, Member, PartyCard, Status
from ._checks import locked


@transaction.atomic
def member_card_record(
    *,
    member: Member,
    kind: str,
    number: str,
    issued_on: datetime.date,
    decision_no: str = "",
    notes: str = "",
    user=None,
) -> PartyCard:
    """Record a card handed to an official member: the first issue, a replacement after
    loss, or the exchange for the chip card."""
    member = locked(member)
    number = number.strip()
    if member.status != Status.OFFICIAL:
        raise ValidationError(
            _("Thẻ đảng viên chỉ phát cho đảng viên chính thức (trạng thái hiện tại: %(status)s).")
            % {"status": member.get_status_display()}
        )
    if kind not in CardKind.values:
        raise ValidationError({"kind": _("Cần chọn hình thức phát thẻ.")})
    if not number:
        raise ValidationError({"number": _("Cần ghi số thẻ.")})
    latest = member.cards.order_by("-issued_on", "-pk").first()
    has_card = latest is not None or bool(member.party_card_no)
    if kind == CardKind.ISSUE and latest is not None:
        raise ValidationError({"kind": _("Đảng viên đã được phát thẻ; ghi cấp lại hoặc đổi thẻ.")})
    if kind != CardKind.ISSUE and not has_card:
        raise ValidationError({"kind": _("Đảng viên chưa có thẻ để cấp lại hoặc đổi.")})
    if member.recognized_on and issued_on < member.recognized_on:
        raise ValidationError(
            {
                "issued_on": _("Ngày phát thẻ không được trước ngày chính thức (%(day)s).")
                % {"day": dmy(member.recognized_on)}
            }
        )
    if latest is not None and issued_on < latest.issued_on:
        raise ValidationError(
            {
                "issued_on": _("Ngày phát thẻ không được trước lần phát gần nhất (%(day)s).")
                % {"day": dmy(latest.issued_on)}
            }
        )
    if Member.objects.filter(party_card_no=number).exclude(pk=member.pk).exists():
        raise ValidationError({"number": _("Số thẻ đảng viên này đã có trong hồ sơ khác.")})
    card = PartyCard.objects.create(
        member=member,
        kind=kind,
        number=number,
        issued_on=issued_on,
        decision_no=decision_no.strip(),
        notes=notes,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    member.party_card_no = number
    member.save(update_fields=["party_card_no", "updated_at"])
    return card
