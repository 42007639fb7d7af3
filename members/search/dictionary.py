"""The dictionary of names' upkeep: every member's folded name is in ``MemberName``.

Called explicitly, before the members are written, by every path that creates or renames
members (the services, ``services.member_record_save`` for the edit page, the admin and the
importer, and the synthetic generator's bulk load); ``Member.save`` writes no other table. On
PostgreSQL a foreign key refuses a member whose name is missing
(``docs/decisions/0004-name-dictionary.md``).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models.names import MemberName


def ensure_names(folded_names: Iterable[str]) -> None:
    """Add the names (folded, as ``Member.name_folded``) that the dictionary lacks; one query,
    none for no names. Never deleted: a name no one has any more matches no one."""
    names = [MemberName.of(name) for name in dict.fromkeys(folded_names)]
    if names:
        MemberName.objects.bulk_create(names, ignore_conflicts=True)
