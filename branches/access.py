"""Who may see and change what.

A user sees the units that are, or ever were, under one of their roles' units (a ward's office
keeps seeing a cell that moved away, for the years it was theirs) and the members whose file
those units keep. Board and grassroots-office roles may edit there; cell secretaries and
leaders only read. Superusers (system administrators) see and edit everything.

The scoping itself is one pair of QuerySet methods, ``Unit.objects.visible_to(user)`` and
``editable_by(user)``, with their ids as a subquery on the closure (``ids_visible_to``,
``ids_editable_by``) that members and events are scoped by. Views fetch single objects through
the access helpers here and in ``members.access``: 404 for an outsider, 403 for a reader who
tries to write.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Role, Unit


def may_edit(user, unit: Unit) -> bool:
    return Unit.objects.editable_by(user).filter(pk=unit.pk).exists()


def may_edit_anything(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or bool(Role.objects.unit_ids_of(user, Role.EDITING_KINDS))
    )


def get_unit(user, code: str, *, for_edit: bool = False) -> Unit:
    """The unit ``code`` as ``user`` may see it: 404 outside their scope, 403 for a reader who
    asks to change it."""
    unit = Unit.objects.visible_to(user).filter(code=code).first()
    if unit is None:
        raise Http404
    if for_edit and not may_edit(user, unit):
        raise PermissionDenied
    return unit
