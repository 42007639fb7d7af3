"""Corrections of the record itself (form 2-HSĐV), outside the events."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from common.vntext import fold

from ..models import Member
from ..search import ensure_names


@transaction.atomic(savepoint=False)
def member_record_save(
    *, member: Member, user=None, update_fields: Iterable[str] | None = None
) -> None:
    """Save a member's record (all of it, or ``update_fields``), adding its name to the
    dictionary of names first when the name is written. For corrections of the record (the
    edit page, the admin, a roster's updates); new members come in through the events'
    services. ``user``, if given, is the one the record's history names."""
    if update_fields is None or "full_name" in update_fields:
        ensure_names([fold(member.full_name)])
    if user is not None:
        member._history_user = user
    member.save(update_fields=update_fields)
