"""The dictionary of names that a search anywhere in a name looks in first."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.vntext import SORT_KEY_LENGTH, name_sort_floor


class MemberName(models.Model):
    """A name (folded, as ``Member.name_folded``) that some member's record has, or had: the
    dictionary that a search anywhere in a name looks in first.

    Names repeat, so there are far fewer names than members. A search anywhere in the name
    ("sen") finds the names that contain it here, by the trigram index (PostgreSQL, migration
    0011), then their members from the name's index (``member_name_prefix_idx``, which carries
    the sort key and id), without reading a member's row, as a trigram index on the members'
    own names would have to (``docs/decisions/0004-name-dictionary.md``).

    Written by ``members.search.ensure_names`` before the member, on every path that creates
    or renames one (and by the synthetic generator's bulk load); on PostgreSQL a foreign key
    from ``members_member.name_folded`` (migration 0011) refuses a member whose name is
    missing here. Never deleted: a name no one has any more matches no one.
    """

    name = models.CharField(_("tên (không dấu)"), max_length=150, primary_key=True)
    # The lowest sort key a member of this name can have (``common.vntext.name_sort_floor``): the
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
