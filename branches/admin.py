"""The admin for the unit tree: the staff's fallback, never a second way to write history.

Units are created through ``branches.services.unit_create`` (so the parent link and the
derived closure are written with them); on an existing unit only its name and successor are
edited here. Moves and dissolutions go through their services, from the application's pages.
The parent links and the closure are shown, never edited.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

# The admin bases live in common.admin; members/admin.py still imports them from here (until
# it imports common.admin itself, issue 23).
from common.admin import PartialSaveAdmin, ReadOnlyAdmin, ReadOnlyInline, shown

from . import services
from .models import Role, Unit, UnitAncestry, UnitParent

admin.site.site_header = format_lazy("{} · {}", _("Quản lý đảng viên"), settings.OFFICE_NAME)
admin.site.site_title = format_lazy("{} · {}", _("Quản lý đảng viên"), settings.OFFICE_NAME)
admin.site.index_title = _("Quản trị dữ liệu")


def _superusers_only(request) -> bool:
    """The admin sees every unit, so it is for system administrators only: staff with model
    permissions would bypass the role scoping that every other page goes through."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only


# Kinds that may have units under them: the only sensible parents.
PARENT_KINDS = [kind for kind, children in Unit.CHILD_KINDS.items() if children]


class UnitAddForm(forms.ModelForm):
    """Validates a new unit; ``UnitAdmin.save_model`` hands it to ``unit_create``.

    The form is never saved itself: the service writes the unit, its parent link and its
    closure rows in one transaction.
    """

    parent = forms.ModelChoiceField(
        label=_("Trực thuộc"),
        queryset=Unit.objects.filter(kind__in=PARENT_KINDS),
        required=False,
        help_text=_("Để trống nếu là đơn vị gốc. Đơn vị trực thuộc từ ngày thành lập."),
    )

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "founded_on"]

    def clean(self):
        cleaned = super().clean()
        kind, founded_on = cleaned.get("kind"), cleaned.get("founded_on")
        if kind and founded_on:
            # The service's own check, run here so that a refusal is a form error, not a 500.
            try:
                services._check_parent(kind=kind, parent=cleaned.get("parent"), on=founded_on)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class UnitParentInline(ReadOnlyInline):
    model = UnitParent
    fk_name = "unit"
    fields = ["parent", "valid_from", "valid_to"]
    readonly_fields = fields
    verbose_name = _("quan hệ trực thuộc")
    verbose_name_plural = _("lịch sử trực thuộc")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")


@admin.register(Unit)
class UnitAdmin(PartialSaveAdmin):
    add_form = UnitAddForm
    add_fieldsets = [(None, {"fields": ["code", "name", "kind", "founded_on", "parent"]})]
    fields = ["code", "name", "kind", "founded_on", "dissolved_on", "successor"]
    list_display = ["code", "name", "kind", "founded_on", "dissolved_on", "current_parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["successor"]
    inlines = [UnitParentInline]

    def get_queryset(self, request):
        # The parent today, as one subquery for the whole list (no query per row).
        today_link = UnitParent.objects.valid_on(timezone.localdate()).filter(unit=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(current_parent_name=Subquery(today_link.values("parent__name")[:1]))
        )

    @admin.display(description=_("trực thuộc hiện nay"), ordering="current_parent_name")
    def current_parent(self, obj: Unit) -> str | None:
        return obj.current_parent_name

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["code", "kind", "founded_on", "dissolved_on"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        unit = services.unit_create(
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            founded_on=data["founded_on"],
            parent=data["parent"],
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved unit.
        obj.pk = unit.pk
        obj._state.adding = False
        obj._state.db = unit._state.db

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UnitParent)
class UnitParentAdmin(ReadOnlyAdmin):
    list_display = ["unit", "parent", "valid_from", "valid_to"]
    list_select_related = ["unit", "parent"]
    search_fields = ["unit__code", "unit__name", "parent__code", "parent__name"]


@admin.register(UnitAncestry)
class UnitAncestryAdmin(ReadOnlyAdmin):
    # The model's fields carry no verbose names: the admin labels them.
    fields = ["unit_shown", "ancestor_shown", "valid_from_shown", "valid_to_shown"]
    readonly_fields = fields
    list_display = fields
    list_select_related = ["unit", "ancestor"]
    search_fields = ["unit__code", "unit__name", "ancestor__code", "ancestor__name"]

    @admin.display(description=_("đơn vị"), ordering="unit__name")
    def unit_shown(self, obj: UnitAncestry) -> str:
        return shown(obj.unit)

    @admin.display(description=_("đơn vị cấp trên (hoặc chính nó)"), ordering="ancestor__name")
    def ancestor_shown(self, obj: UnitAncestry) -> str:
        return shown(obj.ancestor)

    @admin.display(description=_("từ ngày"), ordering="valid_from")
    def valid_from_shown(self, obj: UnitAncestry) -> str:
        return shown(obj.valid_from)

    @admin.display(description=_("đến trước ngày"), ordering="valid_to")
    def valid_to_shown(self, obj: UnitAncestry) -> str:
        return shown(obj.valid_to)


@admin.register(Role)
class RoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "unit", "kind"]
    list_filter = ["kind"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "unit__code", "unit__name"]
    autocomplete_fields = ["user", "unit"]
