"""Party units as a dated tree.

A unit's place in the tree is never an attribute of the unit: it is a dated link,
``UnitParent(unit, parent, valid_from, valid_to)``, so that moving a unit (as in 2025, when the
district level was abolished) adds a link and closes another, and reports for an earlier period
still see the tree as it was.

``UnitAncestry`` is the dated transitive closure of those links (each unit is also its own
ancestor). It is derived data, rebuilt only by ``branches.services`` whenever a link changes,
and it lets "the cells under X on day D" be one indexed join for any X.

Intervals are half-open: ``valid_from <= D < valid_to`` (``valid_to`` NULL = still valid).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.vntext import phrase_sort_key


class UnitQuerySet(models.QuerySet):
    def existing_on(self, day: datetime.date) -> UnitQuerySet:
        """Units founded on or before ``day`` and not yet dissolved on it."""
        return self.filter(founded_on__lte=day).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)
        )

    def under(self, ancestor: Unit, day: datetime.date | None = None) -> UnitQuerySet:
        """The subtree of ``ancestor`` (itself included) on ``day``, or at any time if None.

        One query: a join on the closure table.
        """
        links = UnitAncestry.objects.filter(ancestor=ancestor)
        if day is not None:
            links = links.valid_on(day)
        return self.filter(pk__in=links.values("unit_id"))

    def existing_between(self, start: datetime.date, end: datetime.date) -> UnitQuerySet:
        """Units that existed on at least one day of [start, end]."""
        return self.filter(founded_on__lte=end).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=start)
        )

    def named(self, text: str, start: datetime.date, end: datetime.date) -> list[Unit]:
        """Units whose code or exact name is ``text``: the code first; among units sharing a
        name (the 2025 wards reuse old names), those that existed during [start, end]."""
        text = " ".join(text.split())
        by_code = list(self.filter(code=text))
        if by_code:
            return by_code
        by_name = list(self.filter(name=text))
        if len(by_name) > 1:
            return list(self.filter(name=text).existing_between(start, end)) or by_name
        return by_name

    # --- scoping by user: the one place (see branches/access.py for the rules) ---

    def visible_to(self, user, *, unit_kinds: Iterable[str] | None = None) -> UnitQuerySet:
        """Units that are, or ever were, under one of the user's roles' units (of
        ``unit_kinds`` only, if given: read from the closure's index by kind)."""
        return self._covered_by(user, kinds=None, unit_kinds=unit_kinds)

    def kinds_visible_to(self, user, *, cap: int) -> dict[str, int]:
        """How many units of each kind the user may see, each counted up to ``cap + 1``:
        enough to tell whether a kind fits in a list of ``cap`` (the member list's unit
        filter). One query, which reads at most ``cap + 1`` index entries per kind whatever
        the scope (the whole Party: 270,000 cells); counting them all took a province's list
        37-54 ms and the whole tree's more."""
        counted = [
            self._covered_ids(user, None, unit_kinds=[kind]).order_by().distinct()[: cap + 1]
            for kind in UnitKind.values
        ]
        if any(qs.query.is_empty() for qs in counted):  # no role: nothing to count
            return dict.fromkeys(UnitKind.values, 0)
        compiled = [qs.query.get_compiler(using=qs.db).as_sql() for qs in counted]
        # SELECT (SELECT COUNT(*) FROM (…LIMIT cap + 1)), … : Django counts a sliced queryset
        # the same way, one query each; here the kinds share one round trip.
        sql = "SELECT " + ", ".join(
            f"(SELECT COUNT(*) FROM ({subquery}) AS kind_{i})"
            for i, (subquery, _params) in enumerate(compiled)
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [p for _sql, params in compiled for p in params])
            return dict(zip(UnitKind.values, cursor.fetchone(), strict=True))

    def editable_by(self, user) -> UnitQuerySet:
        """Units under one of the user's editing roles (board, grassroots office)."""
        return self._covered_by(user, kinds=Role.EDITING_KINDS)

    def ids_visible_to(self, user) -> models.QuerySet:
        """The ids of ``visible_to(user)`` as a subquery on the closure alone, for scoping
        another table by its unit (members, events): no join back through the units, which
        cost a province's search 15 ms of index lookups per query."""
        return self._covered_ids(user, kinds=None)

    def ids_editable_by(self, user) -> models.QuerySet:
        """The ids of ``editable_by(user)``, as ``ids_visible_to``."""
        return self._covered_ids(user, kinds=Role.EDITING_KINDS)

    def _covered_by(self, user, kinds, unit_kinds=None) -> UnitQuerySet:
        if user.is_authenticated and user.is_superuser:
            return self if unit_kinds is None else self.filter(kind__in=unit_kinds)
        return self.filter(pk__in=self._covered_ids(user, kinds, unit_kinds))

    def _covered_ids(self, user, kinds, unit_kinds=None) -> models.QuerySet:
        if user.is_authenticated and user.is_superuser:
            return self._covered_by(user, kinds, unit_kinds).values("pk")
        ancestors = Role.objects.unit_ids_of(user, kinds) if user.is_authenticated else ()
        if not ancestors:
            return UnitAncestry.objects.none().values("unit_id")
        # The roles' units as literal ids, not a subquery: PostgreSQL then knows from its
        # statistics on the closure's ancestors whether the scope is a cell or a province,
        # and plans for it (a province's member list, national data: 0.47 → 0.21 s).
        links = UnitAncestry.objects.filter(ancestor_id__in=ancestors)
        if unit_kinds is not None:
            links = links.filter(unit_kind__in=unit_kinds)
        return links.values("unit_id")

    def holding_members(self) -> UnitQuerySet:
        return self.filter(kind__in=Unit.MEMBER_KINDS)


class UnitKind(models.TextChoices):
    # Cấp trên cơ sở: the district committee; since 2025 also city and ward committees.
    ABOVE_GRASSROOTS = "above_grassroots", _("Đảng bộ cấp trên cơ sở")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Đảng bộ cơ sở")
    GRASSROOTS_CELL = "grassroots_cell", _("Chi bộ cơ sở")
    INTERMEDIATE_COMMITTEE = "intermediate_committee", _("Đảng bộ bộ phận")
    CELL = "cell", _("Chi bộ")


class Unit(models.Model):
    Kind = UnitKind

    # Which kinds keep a roll of members, and which kinds each kind may hold as children.
    MEMBER_KINDS = (Kind.GRASSROOTS_CELL, Kind.CELL)
    GRASSROOTS_KINDS = (Kind.GRASSROOTS_COMMITTEE, Kind.GRASSROOTS_CELL)
    CHILD_KINDS = {
        Kind.ABOVE_GRASSROOTS: (
            Kind.ABOVE_GRASSROOTS,
            Kind.GRASSROOTS_COMMITTEE,
            Kind.GRASSROOTS_CELL,
        ),
        Kind.GRASSROOTS_COMMITTEE: (Kind.INTERMEDIATE_COMMITTEE, Kind.CELL),
        Kind.INTERMEDIATE_COMMITTEE: (Kind.CELL,),
        Kind.GRASSROOTS_CELL: (),
        Kind.CELL: (),
    }

    code = models.SlugField(_("mã đơn vị"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại"), max_length=32, choices=Kind.choices)
    founded_on = models.DateField(_("ngày thành lập"))
    dissolved_on = models.DateField(_("ngày giải thể"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị kế thừa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    # The kinds' texts shown on reports' headers ("ĐẢNG BỘ QUẬN THỐT NỐT"): the name suffices.
    # Derived, written only by branches.services.rebuild_ancestry: the unit is above every
    # other unit for the whole of their lives (the root of the only tree), so its reports
    # need no tree filter at all (reports.figures).
    spans_tree = models.BooleanField(_("gốc của toàn bộ cây"), default=False, editable=False)

    objects = UnitQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["spans_tree"])

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=UnitKind.values), name="unit_kind_valid"),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=F("founded_on")),
                name="unit_dissolved_after_founded",
            ),
            models.CheckConstraint(
                condition=Q(successor__isnull=True) | ~Q(successor=F("pk")),
                name="unit_not_own_successor",
            ),
            models.UniqueConstraint(
                fields=["spans_tree"], condition=Q(spans_tree=True), name="unit_one_spans_tree"
            ),
        ]
        indexes = [
            # A superuser's unit filter: the units of a kind, counted up to a cap from the index
            # alone, in id order (UnitQuerySet.kinds_visible_to), and listed.
            models.Index(fields=["kind", "id"], name="unit_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A unit's kind never changes once written: the closure keeps a copy of it
        # (UnitAncestry.unit_kind). A cell that becomes a committee is a new unit, its
        # predecessor dissolved with it as successor.
        loaded = getattr(self, "_loaded_kind", None)
        if loaded is not None and self.kind != loaded:
            raise ValidationError(
                {"kind": _("Không thể đổi loại của một đơn vị đã có.")}, code="kind_unchangeable"
            )
        super().save(*args, **kwargs)
        self._loaded_kind = self.kind

    @property
    def sort_key(self) -> list[str]:
        """The unit's place in Vietnamese alphabetical order, read from the first word of its
        name (a person's name sorts by the given name first; a unit's does not). Every list
        of units sorts by it: ``sorted(units, key=lambda u: u.sort_key)``."""
        return phrase_sort_key(self.name)

    @classmethod
    def from_db(cls, db, field_names, values):
        unit = super().from_db(db, field_names, values)
        unit._loaded_kind = unit.__dict__.get("kind")
        return unit

    @property
    def holds_members(self) -> bool:
        return self.kind in self.MEMBER_KINDS

    def may_hold_child(self, kind: str) -> bool:
        return kind in self.CHILD_KINDS[self.Kind(self.kind)]

    def exists_on(self, day: datetime.date) -> bool:
        return self.founded_on <= day and (self.dissolved_on is None or day < self.dissolved_on)

    def last_day(self, today: datetime.date) -> datetime.date:
        """The day a page about the unit reads up to by default: today, or for a dissolved
        unit its last day (the period ending on its dissolution, when it still had members)."""
        if self.dissolved_on is not None and self.dissolved_on <= today:
            return self.dissolved_on - datetime.timedelta(days=1)
        return today


class DatedQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )


class UnitParent(models.Model):
    """The unit was directly under ``parent`` from ``valid_from`` until before ``valid_to``."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="parent_links"
    )
    parent = models.ForeignKey(
        Unit, verbose_name=_("trực thuộc"), on_delete=models.PROTECT, related_name="child_links"
    )
    valid_from = models.DateField(_("từ ngày"))
    valid_to = models.DateField(_("đến trước ngày"), null=True, blank=True)

    objects = DatedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quan hệ trực thuộc")
        verbose_name_plural = _("quan hệ trực thuộc")
        ordering = ["unit", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="unitparent_interval_ordered",
            ),
            models.CheckConstraint(condition=~Q(unit=F("parent")), name="unitparent_not_self"),
            # At most one open link per unit: a unit has one parent at a time.
            models.UniqueConstraint(
                fields=["unit"], condition=Q(valid_to__isnull=True), name="unitparent_one_open"
            ),
            models.UniqueConstraint(fields=["unit", "valid_from"], name="unitparent_unique_start"),
        ]
        indexes = [
            # Children of a unit on a date (unit pages, report breakdown by child).
            models.Index(fields=["parent", "valid_from"], name="unitparent_parent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.parent} ({self.valid_from}–{self.valid_to or ''})"


class UnitAncestry(models.Model):
    """Derived: ``ancestor`` is ``unit`` or above it from ``valid_from`` until before ``valid_to``.

    Adjacent intervals of one (unit, ancestor) pair are merged, so a move that keeps a unit
    inside a subtree is invisible to that subtree's reports. Rebuilt by
    ``branches.services.rebuild_ancestry``; never edited by hand.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ancestry")
    ancestor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="descendancy")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    # A copy of unit.kind (which never changes, Unit.save), so that the units of a kind under
    # X are read from one index (the member list's unit filter). Without it PostgreSQL
    # counted a province's units by kind by scanning all 306,000 units (75 ms).
    unit_kind = models.CharField(max_length=32, choices=UnitKind.choices, editable=False)

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quan hệ cấp trên (dẫn xuất)")
        verbose_name_plural = _("quan hệ cấp trên (dẫn xuất)")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="unitancestry_interval_ordered",
            ),
            models.UniqueConstraint(
                fields=["unit", "ancestor", "valid_from"], name="unitancestry_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(unit_kind__in=UnitKind.values), name="unitancestry_unit_kind_valid"
            ),
        ]
        indexes = [
            # "The units of kind K under X" (the member list's unit filter): seek X and K,
            # then read the units from the index alone, in order (counted up to a cap).
            models.Index(fields=["ancestor", "unit_kind", "unit"], name="unitancestry_kind_idx"),
            # "Units under X on D": seek on ancestor, then the dates; covers unit_id.
            models.Index(
                fields=["ancestor", "valid_from", "valid_to", "unit"],
                name="unitancestry_subtree_idx",
            ),
            # "Is unit U under X on D" for many U at once (reports.figures: the other end of a
            # transfer inside a child; the grassroots organization of an admission's cell):
            # seek U and X, then the date, from the index alone. Without it the planner,
            # unable to estimate X when it comes from the outer row, walked X's whole subtree
            # for each transfer (34 s at national scale).
            models.Index(
                fields=["unit", "ancestor", "valid_from"],
                include=["valid_to"],
                name="unitancestry_unit_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} ⊂ {self.ancestor_id} ({self.valid_from}–{self.valid_to or ''})"


class ClosureRows(models.ForeignObject):
    """The closure's rows (``UnitAncestry``) of a record's unit, for queries: on a model with a
    ``unit`` foreign key, ``closure = ClosureRows()`` joins ``record.unit_id =
    closure.unit_id`` directly, where the path through the unit (``unit__ancestry__``) joins
    the unit table in between, which nothing reads: PostgreSQL keeps an inner join it is not
    asked for, probing the units' key once per event and planning one more table (a
    commune's report figures 38 → 28 ms).

    Many rows per record, as the reverse path it stands for: each ``filter()`` call gets a
    join of its own, and conditions within one call share it. Built as Django builds its own
    one-to-many relation on columns of its choosing (``GenericRelation``): a private field, out
    of the model's fields (no column, no form, no migration, no history), only for joins."""

    many_to_many = False
    many_to_one = False
    one_to_many = True
    one_to_one = False

    def __init__(self):
        super().__init__(
            UnitAncestry,
            on_delete=models.DO_NOTHING,
            from_fields=["unit"],
            to_fields=["unit"],
            related_name="+",
            null=True,  # a record may have no closure row on a given day
            editable=False,
            serialize=False,
        )

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, private_only=True, **kwargs)

    def _check_unique_target(self):
        return []  # many closure rows per unit, by design (see above)

    def get_path_info(self, filtered_relation=None):
        return [path._replace(m2m=True) for path in super().get_path_info(filtered_relation)]


class RoleQuerySet(models.QuerySet):
    def for_user(self, user) -> RoleQuerySet:
        return self.filter(user=user).select_related("unit")

    def read_for(self, user) -> list[Role]:
        """``user``'s roles with their units, by unit name; read once, they are also kept as
        the user's role units (``unit_ids_of``), which the scope and the menu would read
        again."""
        roles = list(self.for_user(user).order_by("unit__name", "pk"))
        user._role_units_cache = [(role.unit_id, role.effective_kind) for role in roles]
        return roles

    def unit_ids_of(self, user, kinds=None) -> list[int]:
        """The ids of the units of ``user``'s roles (of ``kinds``, if given), sorted.

        The roles are read once per user object and kept on it, as Django's ModelBackend
        keeps permissions (``_perm_cache``): each request has its own user object, so a role
        given or taken is seen from the next request on.
        """
        if not hasattr(user, "_role_units_cache"):
            user._role_units_cache = [
                (unit, kind if ends_on is None or ends_on > timezone.localdate() else None)
                for unit, kind, ends_on in self.filter(user=user).values_list(
                    "unit_id", "kind", "ends_on"
                )
            ]
        return sorted(
            {unit for unit, kind in user._role_units_cache if kinds is None or kind in kinds}
        )


class RoleKind(models.TextChoices):
    BOARD = "board", _("Ban tổ chức cấp trên cơ sở")
    GRASSROOTS_OFFICE = "grassroots_office", _("Văn phòng đảng ủy cơ sở")
    CELL_SECRETARY = "cell_secretary", _("Bí thư chi bộ")
    LEADER = "leader", _("Lãnh đạo")


class Role(models.Model):
    """A user's role on a unit: what they may see (the unit's subtree) and whether they may edit."""

    Kind = RoleKind

    EDITING_KINDS = (Kind.BOARD, Kind.GRASSROOTS_OFFICE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="party_roles",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="roles"
    )
    kind = models.CharField(_("vai trò"), max_length=32, choices=Kind.choices)
    # The day the role stops giving rights (issue 30): set by ``unit_dissolve`` to the unit's
    # dissolution day. From then on the role only reads the unit's history (what was ever under
    # it); it edits nothing. Renewed by clearing it (or moving it) in the admin.
    ends_on = models.DateField(
        _("hết hiệu lực từ ngày"),
        null=True,
        blank=True,
        help_text=_("Từ ngày này vai trò chỉ còn xem lịch sử, không được sửa."),
    )

    objects = RoleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="role_unique_user_unit"),
            models.CheckConstraint(condition=Q(kind__in=RoleKind.values), name="role_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.unit}"

    def save(self, *args, **kwargs) -> None:
        # A role given on a unit already dissolved ends with it too (renewed by clearing
        # ``ends_on`` afterwards, deliberately, in the admin).
        # (Read afresh: the caller's unit object may predate the dissolution.)
        if self._state.adding and self.ends_on is None:
            self.ends_on = (
                Unit.objects.filter(pk=self.unit_id).values_list("dissolved_on", flat=True).first()
            )
        super().save(*args, **kwargs)

    @property
    def ended(self) -> bool:
        return self.ends_on is not None and self.ends_on <= timezone.localdate()

    @property
    def effective_kind(self) -> str | None:
        """The kind, or None for an ended role (which reads but edits nothing)."""
        return None if self.ended else self.kind

    @property
    def may_edit(self) -> bool:
        return self.effective_kind in self.EDITING_KINDS
