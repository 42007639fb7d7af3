"""The member list's filters. Every choice of unit is scoped to what the user may see."""

from __future__ import annotations

from collections import Counter, defaultdict

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, Subquery
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from branches.models import Unit, UnitParent
from common.dates import years_before
from common.params import int_param
from common.vntext import phrase_sort_key
from common.widgets import FastSelect, PickerSelect

from . import choices, rules
from .models import ACTIVE_STATUSES, Member, Status

ACTIVE = "active"

# Where a name search looks: anywhere in the name (the default), or only at its start.
MATCH_ANYWHERE, MATCH_START = "anywhere", "start"

# At most this many units in the unit filter's list: kinds are listed from the top of the tree
# down while they fit (a district: all its cells; a province: down to its grassroots
# organizations; the whole Party: the committees above grassroots). Any unit in the user's
# scope is still accepted (the links from the tree's pages pass a cell's id).
MAX_UNIT_OPTIONS = 1000

# The unit filter's groups, from the top of the tree down.
KIND_ORDER = (
    Unit.Kind.ABOVE_GRASSROOTS,
    Unit.Kind.GRASSROOTS_COMMITTEE,
    Unit.Kind.INTERMEDIATE_COMMITTEE,
    Unit.Kind.GRASSROOTS_CELL,
    Unit.Kind.CELL,
)

# Age bands (inclusive, in whole years); None: no upper bound.
AGE_BANDS = {
    "18-30": (18, 30),
    "31-40": (31, 40),
    "41-50": (41, 50),
    "51-60": (51, 60),
    "61+": (61, None),
}
AGE_BAND_CHOICES = [
    ("18-30", _("18 đến 30 tuổi")),
    ("31-40", _("31 đến 40 tuổi")),
    ("41-50", _("41 đến 50 tuổi")),
    ("51-60", _("51 đến 60 tuổi")),
    ("61+", _("Trên 60 tuổi")),
]


def listed_kinds(counts: dict[str, int]) -> list[str]:
    """The kinds to list, from the top of the tree down, while their total stays within
    ``MAX_UNIT_OPTIONS`` (the top kind always). ``counts``: the units of each kind in scope,
    each counted at least up to ``MAX_UNIT_OPTIONS + 1`` (``Unit.objects.kinds_visible_to``)."""
    listed, total = [], 0
    for kind in KIND_ORDER:
        total += counts.get(kind, 0)
        if listed and total > MAX_UNIT_OPTIONS:
            break
        if counts.get(kind):
            listed.append(kind)
    return listed


# What an option of the unit filter shows (``UnitChoiceField.label_from_instance``).
UNIT_OPTION_FIELDS = ("pk", "kind", "name", "dissolved_on")


class UnitChoiceIterator(ModelChoiceIterator):
    """The units grouped by kind, from the top of the tree down, each group in Vietnamese
    alphabetical order: a long list that a reader can still find a cell in. A scope too large
    for one list shows its upper kinds (``listed_kinds``), plus the unit chosen, if any.

    The options are read as plain rows (``UNIT_OPTION_FIELDS``) and offered as (id, label),
    not as model instances each wrapped for the widget, which no reader sees (the queryset
    still validates; ``docs/decisions/0005-hand-written-html.md``)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        user = self.field.user
        kinds = listed_kinds(Unit.objects.kinds_visible_to(user, cap=MAX_UNIT_OPTIONS))
        rows = Unit.objects.visible_to(user, unit_kinds=kinds).order_by()
        # Units that share a name are told apart by their parent (today's, else the last).
        parent = Subquery(
            UnitParent.objects.filter(unit=OuterRef("pk"))
            .order_by("-valid_from")
            .values("parent__name")[:1]
        )
        fields = (*UNIT_OPTION_FIELDS, "parent_name")
        units = list(rows.annotate(parent_name=parent).values_list(*fields, named=True))
        chosen = self.field.chosen_pk
        if chosen is not None and all(u.pk != chosen for u in units):
            units += (
                self.queryset.filter(pk=chosen)
                .annotate(parent_name=parent)
                .values_list(*fields, named=True)
            )
        shared = Counter(u.name for u in units)
        by_kind = defaultdict(list)
        for unit in units:
            by_kind[unit.kind].append(unit)
        label = self.field.label_from_instance
        for kind in KIND_ORDER:
            # ``Unit.sort_key``'s order, on the plain rows.
            group = sorted(by_kind[kind], key=lambda u: phrase_sort_key(u.name))
            if group:
                yield (
                    Unit.Kind(kind).label,
                    [
                        (u.pk, f"{label(u)} — {u.parent_name}" if shared[u.name] > 1 else label(u))
                        for u in group
                    ],
                )


class UnitChoiceField(django_filters.fields.ModelChoiceField):
    iterator = UnitChoiceIterator
    widget = PickerSelect

    def __init__(self, *args, user=None, chosen=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Whose units are listed (the queryset, Unit.objects.visible_to(user), validates).
        self.user = user if user is not None else AnonymousUser()
        # The unit asked for (the raw GET value), listed even when its kind is not.
        self.chosen_pk = int_param(chosen) if isinstance(chosen, str) and chosen.isdigit() else None

    def label_from_instance(self, unit) -> str:
        """A unit's option: its name, and when it was dissolved (``unit``: a Unit, or a row of
        ``UNIT_OPTION_FIELDS``)."""
        if unit.dissolved_on is None:
            return unit.name
        return str(_("%(name)s (giải thể %(day)s)")) % {
            "name": unit.name,
            "day": date_format(unit.dissolved_on, "SHORT_DATE_FORMAT"),
        }


class YearField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", rules.PARTY_FOUNDED_YEAR)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class UnitFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


class YearFilter(django_filters.NumberFilter):
    field_class = YearField


def _visible_units(request):
    if request is None:
        return Unit.objects.none()
    return Unit.objects.visible_to(request.user)


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Tìm theo tên, số CCCD hoặc số thẻ"),
        method="filter_q",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    match = django_filters.ChoiceFilter(
        label=_("Cách tìm tên"),
        choices=[
            (MATCH_ANYWHERE, _("Họ tên có chứa các chữ đã gõ")),
            (MATCH_START, _("Họ tên bắt đầu bằng các chữ đã gõ (từ họ)")),
        ],
        method="filter_match",
        empty_label=None,
        widget=FastSelect,
    )
    unit = UnitFilter(
        label=_("Đơn vị"),
        queryset=_visible_units,
        method="filter_unit",
        empty_label=_("Tất cả"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Trạng thái"),
        choices=[(ACTIVE, _("Đang sinh hoạt (dự bị và chính thức)")), *Status.choices],
        method="filter_status",
        empty_label=_("Tất cả"),
        widget=FastSelect,
    )
    gender = django_filters.ChoiceFilter(
        label=_("Giới tính"),
        choices=choices.Gender.choices,
        empty_label=_("Tất cả"),
        widget=FastSelect,
    )
    ethnicity = django_filters.ChoiceFilter(
        label=_("Dân tộc"),
        choices=choices.Ethnicity.choices,
        empty_label=_("Tất cả"),
        widget=FastSelect,
    )
    religion = django_filters.ChoiceFilter(
        label=_("Tôn giáo"),
        choices=choices.Religion.choices,
        empty_label=_("Tất cả"),
        widget=FastSelect,
    )
    age = django_filters.ChoiceFilter(
        label=_("Độ tuổi"),
        choices=AGE_BAND_CHOICES,
        method="filter_age",
        empty_label=_("Tất cả"),
        widget=FastSelect,
    )
    admitted_year = YearFilter(
        label=_("Năm vào Đảng"),
        field_name="admitted_on",
        lookup_expr="year",
    )

    class Meta:
        model = Member
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        if self.request is not None:
            self.filters["unit"].extra["user"] = self.request.user
        if data is not None:
            self.filters["unit"].extra["chosen"] = data.get("unit")

    @property
    def searching(self) -> str | None:
        """Where a valid name search looks (``MATCH_ANYWHERE`` or ``MATCH_START``), or None."""
        if not (self.is_bound and self.is_valid()):
            return None
        asked = self.form.cleaned_data
        if not asked.get("q", "").strip():
            return None
        return MATCH_START if asked.get("match") == MATCH_START else MATCH_ANYWHERE

    def filter_q(self, queryset, name, value):
        from_start = self.form.cleaned_data.get("match") == MATCH_START
        return queryset.search(value, from_start=from_start)

    def filter_match(self, queryset, name, value):
        return queryset  # read by filter_q

    def filter_unit(self, queryset, name, unit):
        # A unit means its whole subtree: the members whose file any cell under it keeps.
        return queryset.filter(record_unit__in=Unit.objects.under(unit))

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset.filter(status=value)

    def filter_age(self, queryset, name, value):
        low, high = AGE_BANDS[value]
        today = timezone.localdate()
        queryset = queryset.filter(date_of_birth__lte=years_before(today, low))
        if high is not None:
            queryset = queryset.filter(date_of_birth__gt=years_before(today, high + 1))
        return queryset
