"""Reads for issue 24's records (R16-R18, R25): the open periods on a member's timeline, the
temporary transfers past their term, the transfers between offices not yet received."""

from __future__ import annotations

import datetime

from branches.models import Unit

from .models import ACTIVE_STATUSES, Event, Member, OfficeTransfer


def open_period(events: list[Event], kind: str) -> Event | None:
    """The exemption or temporary transfer in force among a member's loaded events (no
    query): not ended, not cancelled, and since the member last came onto or left a roll."""
    found = None
    for event in events:
        if event.cancelled_at is not None:
            continue
        if event.kind in Event.OPENING_KINDS or event.kind in Event.CLOSING_KINDS:
            found = None
        elif event.kind == kind:
            found = event if event.ended_on is None else None
    return found


def temporary_transfers_overdue(user, today: datetime.date):
    """Temporary transfers of active members the user may see, past their term and not
    returned, the longest overdue first."""
    return (
        Event.objects.visible_to(user)
        .filter(
            kind=Event.Kind.TEMPORARY_TRANSFER,
            ended_on__isnull=True,
            term_end__lt=today,
            member__status__in=ACTIVE_STATUSES,
        )
        .select_related("member", "unit", "other_unit")
        .order_by("term_end", "pk")
    )


def transfers_sent_pending(user):
    """Transfers sent from cells the user may see, not yet received."""
    return (
        OfficeTransfer.objects.pending()
        .sent_by(user)
        .select_related("member", "from_unit", "to_unit")
        .order_by("sent_on", "pk")
    )


def transfers_incoming_pending(user):
    """Transfers on their way to cells the user may see, not yet received."""
    return (
        OfficeTransfer.objects.pending()
        .filter(to_unit_id__in=Unit.objects.ids_visible_to(user))
        .select_related("member", "from_unit", "to_unit")
        .order_by("sent_on", "pk")
    )


def member_party_records(member: Member, events: list[Event]) -> dict:
    """What the member's page shows of issue 24's records: the open exemption and temporary
    transfer (from the loaded events), the cards, a transfer on its way (two queries)."""
    return {
        "open_exemption": open_period(events, Event.Kind.EXEMPTION),
        "open_temporary": open_period(events, Event.Kind.TEMPORARY_TRANSFER),
        "cards": list(member.cards.order_by("issued_on", "pk")),
        "pending_transfer": member.office_transfers.pending().select_related("to_unit").first(),
    }
