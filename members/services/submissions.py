"""A form's one-time token: claimed with the write it makes, so a second post records nothing."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from ..models import FormSubmission, Member


class AlreadySaved(Exception):
    """The form carrying this token was saved before; ``member_id`` is whose record it wrote."""

    def __init__(self, member_id: int | None):
        super().__init__(member_id)
        self.member_id = member_id


def claim_token(*, token: uuid.UUID, user=None, member: Member | None = None) -> FormSubmission:
    """Record ``token`` as used, inside the caller's transaction (rolled back with it if the
    write fails); raise AlreadySaved if it was used before."""
    previous = FormSubmission.objects.filter(token=token).values_list("member_id", flat=True)
    if previous.exists():
        raise AlreadySaved(previous.first())
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(
                token=token,
                user=user if user is not None and user.is_authenticated else None,
                member=member if member is not None and member.pk else None,
            )
    except IntegrityError:  # the same form posted at the same moment by a second request
        raise AlreadySaved(previous.first()) from None
