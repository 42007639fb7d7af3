"""The admin for members and their events: the staff's fallback, never a second way to write
history.

Admissions, transfers, removals and the other events are written only by ``members.services``
(from the application's pages). Here staff may correct a member's record and the typo-prone
texts of an event; the state cached from the events (status, unit, dates of admission and
recognition) and the derived roll periods are shown, never edited.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import PartialSaveAdmin, ReadOnlyAdmin, ReadOnlyInline, shown
from common.vntext import fold

from . import services
from .models import (
    BulkRead,
    Directive,
    Event,
    FormSubmission,
    Member,
    MemberName,
    Membership,
    OfficeTransfer,
    PartyCard,
    RecordView,
    RosterExport,
    RosterExportPart,
    RosterImport,
    RosterImportRow,
    RosterValueMapping,
    WorkerHeartbeat,
)


class ConstraintCheckedForm(forms.ModelForm):
    """Also checks the constraints that involve read-only fields.

    A ModelForm skips every constraint naming a field it does not edit, so clearing an event's
    decision number would pass the form and fail in the database (a 500). Checked here on the
    whole row, once the form's own checks have passed.
    """

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                self.instance.validate_constraints()
            except ValidationError as error:
                self.add_error(None, error.messages)


def folded_name_search(queryset, search_term: str, name_field: str, exact_fields=()):
    """Accent- and case-insensitive name search, or an exact match on identifying numbers."""
    term = search_term.strip()
    if not term:
        return queryset
    condition = Q()
    key = fold(term)
    if key:
        # As the member list's search anywhere in the name: the names that contain it, from
        # the dictionary of names (``MemberName``), then their members.
        names = MemberName.objects.filter(name__contains=key).values("name")
        condition |= Q(**{f"{name_field}__in": names})
    for field in exact_fields:
        condition |= Q(**{field: term})
    return queryset.filter(condition)


@admin.register(Directive)
class DirectiveAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "issued_on", "issuer"]
    search_fields = ["code", "title"]
    date_hierarchy = "issued_on"


class EventInline(ReadOnlyInline):
    model = Event
    fk_name = "member"
    fields = ["kind", "effective_date", "unit", "decision_no", "decision_date", "directive"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("quá trình (các sự kiện)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit", "directive")


@admin.register(Member)
class MemberAdmin(PartialSaveAdmin):
    form = ConstraintCheckedForm
    list_display = ["full_name", "status", "unit", "date_of_birth", "admitted_on"]
    list_filter = ["status", "gender", "ethnicity", "religion"]
    list_select_related = ["unit"]
    # Only shows the search box: get_search_results does the searching.
    search_fields = ["name_folded", "=citizen_id", "=party_card_no"]
    search_help_text = _(
        "Tìm theo họ tên (gõ có dấu hay không dấu đều được), số CCCD hoặc số thẻ đảng viên."
    )
    fieldsets = [
        (
            _("Sơ yếu"),
            {
                "fields": [
                    "full_name",
                    "gender",
                    "date_of_birth",
                    "place_of_birth",
                    "hometown",
                    "residence",
                    "ethnicity",
                    "religion",
                    "citizen_id",
                    "party_card_no",
                    "personal_history_no",
                ]
            },
        ),
        (
            _("Nghề nghiệp, trình độ"),
            {
                "fields": [
                    "occupation",
                    "occupation_group",
                    "general_education",
                    "professional_level",
                    "academic_title",
                    "political_theory",
                    "youth_union_member",
                    "private_business_owner",
                    "married_to_foreigner",
                ]
            },
        ),
        (
            _("Tình trạng (ghi qua các quyết định, không sửa ở đây)"),
            {
                "fields": [
                    "status",
                    "unit",
                    "admitted_on",
                    "recognized_on",
                    "name_folded_shown",
                    "name_sort_key_shown",
                    "created_at_shown",
                    "updated_at_shown",
                ]
            },
        ),
    ]
    readonly_fields = [
        "status",
        "unit",
        "admitted_on",
        "recognized_on",
        "name_folded_shown",
        "name_sort_key_shown",
        "created_at_shown",
        "updated_at_shown",
    ]
    inlines = [EventInline]

    def get_search_results(self, request, queryset, search_term):
        found = folded_name_search(
            queryset, search_term, "name_folded", exact_fields=["citizen_id", "party_card_no"]
        )
        return found, False

    # The model's search keys and timestamps carry no verbose names: the admin labels them.
    @admin.display(description=_("họ tên không dấu (để tìm kiếm)"))
    def name_folded_shown(self, obj: Member) -> str:
        return obj.name_folded

    @admin.display(description=_("khóa sắp xếp theo tên"))
    def name_sort_key_shown(self, obj: Member) -> str:
        return obj.name_sort_key

    @admin.display(description=_("ngày tạo hồ sơ"))
    def created_at_shown(self, obj: Member) -> str:
        return shown(obj.created_at)

    @admin.display(description=_("lần sửa cuối"))
    def updated_at_shown(self, obj: Member) -> str:
        return shown(obj.updated_at)

    def save_model(self, request, obj, form, change):
        """The changed columns only, as ``PartialSaveAdmin`` writes them, through the service
        that keeps the dictionary of names."""
        if not change:
            services.member_record_save(member=obj)
        elif form.changed_data:
            auto_now = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
            services.member_record_save(member=obj, update_fields=[*form.changed_data, *auto_now])

    def has_add_permission(self, request) -> bool:
        return False  # admissions go through members.services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# On an event, only the texts that a typo can spoil are corrected here.
EVENT_CORRECTABLE_FIELDS = ["decision_no", "issuing_body", "notes", "sponsors"]


@admin.register(Event)
class EventAdmin(PartialSaveAdmin):
    form = ConstraintCheckedForm
    list_display = ["member", "kind", "effective_date", "unit", "decision_no", "directive"]
    list_filter = ["kind", "directive"]
    list_select_related = ["member", "unit", "directive"]
    date_hierarchy = "effective_date"
    ordering = ["-effective_date", "-pk"]  # the latest decisions first
    # Only shows the search box: get_search_results does the searching.
    search_fields = ["member__name_folded", "=decision_no"]
    search_help_text = _("Tìm theo họ tên đảng viên (có dấu hay không dấu) hoặc số quyết định.")
    fields = [
        "member",
        "kind",
        "effective_date",
        "unit",
        "other_unit",
        "other_unit_name",
        "probationary",
        "reason",
        "decision_no",
        "decision_date",
        "issuing_body",
        "directive",
        "ceremony_date",
        "sponsors",
        "notes",
        "created_by",
        "created_at_shown",
    ]
    readonly_fields = [f for f in fields if f not in EVENT_CORRECTABLE_FIELDS]

    def get_search_results(self, request, queryset, search_term):
        found = folded_name_search(
            queryset, search_term, "member__name_folded", exact_fields=["decision_no"]
        )
        return found, False

    @admin.display(description=_("thời điểm nhập"))
    def created_at_shown(self, obj: Event) -> str:
        return shown(obj.created_at)

    def has_add_permission(self, request) -> bool:
        return False  # events are written by members.services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    # The model's fields carry no verbose names: the admin labels them.
    fields = ["member_shown", "unit_shown", "start_date_shown", "end_date_shown"]
    readonly_fields = fields
    list_display = fields
    list_select_related = ["member", "unit"]
    search_fields = ["member__name_folded"]

    def get_search_results(self, request, queryset, search_term):
        return folded_name_search(queryset, search_term, "member__name_folded"), False

    @admin.display(description=_("đảng viên"), ordering="member__name_sort_key")
    def member_shown(self, obj: Membership) -> str:
        return shown(obj.member)

    @admin.display(description=_("chi bộ"), ordering="unit__name")
    def unit_shown(self, obj: Membership) -> str:
        return shown(obj.unit)

    @admin.display(description=_("từ ngày"), ordering="start_date")
    def start_date_shown(self, obj: Membership) -> str:
        return shown(obj.start_date)

    @admin.display(description=_("đến trước ngày"), ordering="end_date")
    def end_date_shown(self, obj: Membership) -> str:
        return shown(obj.end_date)


@admin.register(RecordView)
class RecordViewAdmin(ReadOnlyAdmin):
    """Who opened whose record: read-only, like every audit record."""

    list_display = ["viewed_at", "user", "member"]
    list_select_related = ["user", "member"]
    list_filter = ["viewed_at"]
    date_hierarchy = "viewed_at"


@admin.register(BulkRead)
class BulkReadAdmin(ReadOnlyAdmin):
    """The log of bulk and sensitive reads: read-only, like every audit record."""

    list_display = ["read_at", "user", "kind", "unit", "what", "records"]
    list_select_related = ["user", "unit"]
    list_filter = ["kind", "read_at"]
    date_hierarchy = "read_at"


@admin.register(FormSubmission)
class FormSubmissionAdmin(ReadOnlyAdmin):
    """The entry forms' one-time tokens: read-only, written with the event they saved."""

    list_display = ["created_at", "user", "member", "token"]
    list_select_related = ["user", "member"]
    raw_id_fields = ["member"]


class RosterImportRowInline(ReadOnlyInline):
    model = RosterImportRow
    fields = ["sheet", "number", "action", "member", "duplicate_of", "decision", "errors"]
    readonly_fields = fields
    raw_id_fields = ["member"]
    ordering = ["sheet", "number"]
    max_num = 0
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(error_count__gt=0)


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    """Uploaded rosters, for the administrator to see who imported what: read-only (the staff's
    own page, /members/imports/, is where imports are checked and confirmed). The rows shown
    are those with errors; the file itself stays in the database."""

    list_display = ["file_name", "created_by", "created_at", "status", "committed_at"]
    list_select_related = ["created_by"]
    list_filter = ["status", "created_at"]
    date_hierarchy = "created_at"
    fields = [
        "file_name",
        "size",
        "created_by",
        "created_at",
        "status",
        "summary",
        "file_errors",
        "checked_at",
        "committed_at",
    ]
    readonly_fields = fields
    inlines = [RosterImportRowInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")


@admin.register(RosterExport)
class RosterExportAdmin(ReadOnlyAdmin):
    """Rosters exported in the background, for the administrator to see who exported what:
    read-only (the staff download their own from /members/exports/<id>/)."""

    list_display = ["unit", "current_only", "created_by", "created_at", "status", "size"]
    list_select_related = ["unit", "created_by"]
    list_filter = ["status", "created_at"]
    date_hierarchy = "created_at"
    fields = [
        "unit",
        "current_only",
        "created_by",
        "created_at",
        "status",
        "started_at",
        "finished_at",
        "file_name",
        "size",
        "error",
    ]
    readonly_fields = fields


@admin.register(MemberName)
class MemberNameAdmin(ReadOnlyAdmin):
    """The dictionary of names the member search looks in (``MemberName``): written with the
    members, read-only."""

    search_fields = ["name"]


@admin.register(RosterExportPart)
class RosterExportPartAdmin(ReadOnlyAdmin):
    """The stored parts of the exports' workbooks (which export, which part; not the bytes)."""

    list_display = ["export", "number"]
    fields = ["export", "number"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")


@admin.register(RosterImportRow)
class RosterImportRowAdmin(ReadOnlyAdmin):
    list_display = ["roster_import", "sheet", "number", "action", "error_count"]
    list_select_related = ["roster_import"]
    list_filter = ["sheet", "action"]
    fields = [
        "roster_import",
        "sheet",
        "number",
        "key",
        "values",
        "action",
        "member",
        "changes",
        "duplicate_of",
        "decision",
        "errors",
        "notes",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("roster_import__content")


@admin.register(RosterValueMapping)
class RosterValueMappingAdmin(admin.ModelAdmin):
    """How each office writes coded values and names columns in its own workbooks (issue 29):
    correct a wrong choice here; the next upload uses it."""

    list_display = ("office", "column", "written", "value")
    list_filter = ("column",)
    search_fields = ("written", "office__name")
    raw_id_fields = ("office",)


# Issue 24: written by members.services (cards, two-step transfers); shown, not edited here.
@admin.register(PartyCard)
class PartyCardAdmin(ReadOnlyAdmin):
    fields = ["member", "kind", "number", "issued_on", "decision_no", "notes", "created_by"]
    readonly_fields = fields
    list_display = ["member", "kind", "number", "issued_on"]
    list_select_related = ["member"]


@admin.register(OfficeTransfer)
class OfficeTransferAdmin(ReadOnlyAdmin):
    fields = ["member", "from_unit", "to_unit", "sent_on", "received_on"]
    readonly_fields = fields
    list_display = fields
    list_select_related = ["member", "from_unit", "to_unit"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """The background worker's heartbeat (/health/ reads it): shown, never edited."""

    list_display = [f.name for f in WorkerHeartbeat._meta.fields]
