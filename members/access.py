"""Members as a user may see them (see ``branches.access`` for the rules)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from branches.models import Unit

from .models import Member, RosterExport


def may_edit_member(user, member: Member) -> bool:
    return Member.objects.editable_by(user).filter(pk=member.pk).exists()


def get_member(user, pk: int, *, for_edit: bool = False) -> Member:
    """The member ``pk`` with its cells: 404 outside the user's scope, 403 for a reader who
    asks to change the record."""
    member = (
        Member.objects.visible_to(user).select_related("unit", "record_unit").filter(pk=pk).first()
    )
    if member is None:
        raise Http404
    if for_edit and not may_edit_member(user, member):
        raise PermissionDenied
    return member


def get_roster_import(user, pk: int):
    """An uploaded roster as its uploader (or a superuser) may see it: 404 for anyone else.
    The file's bytes are left in the database (``defer``): pages never need them."""
    from .models import RosterImport

    imports = RosterImport.objects.defer("content").select_related("created_by")
    if not user.is_superuser:
        imports = imports.filter(created_by=user)
    found = imports.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def get_roster_export(user, pk: int):
    """A roster export as the user who asked for it may see it: 404 for anyone else, and for
    them too once the unit is no longer in their scope (the file holds its records)."""
    exports = RosterExport.objects.select_related("unit").filter(pk=pk, created_by=user)
    if not user.is_superuser:
        exports = exports.filter(unit_id__in=Unit.objects.ids_visible_to(user))
    found = exports.first()
    if found is None:
        raise Http404
    return found
