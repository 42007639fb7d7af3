from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ApiCall, ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made here (the key is shown once, in the message after saving) and revoked
    with the list's action; a token is never deleted, so its calls stay in the log."""

    list_display = (
        "name",
        "unit",
        "may_read_roster",
        "key_hint",
        "created_by",
        "created_at",
        "revoked_at",
    )
    list_filter = ("may_read_roster",)
    fields = (
        "name",
        "unit",
        "may_read_roster",
        "key_hint",
        "created_by",
        "created_at",
        "revoked_at",
    )
    readonly_fields = ("key_hint", "created_by", "created_at", "revoked_at")
    autocomplete_fields = ("unit",)
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "name", "unit", "may_read_roster")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, key = ApiToken.issue(
            name=obj.name,
            unit=obj.unit,
            may_read_roster=obj.may_read_roster,
            created_by=request.user,
        )
        obj.pk, obj.key_hash, obj.key_hint = token.pk, token.key_hash, token.key_hint
        messages.warning(
            request, _("Khóa API (chỉ hiện một lần, hãy chép ngay): %(key)s") % {"key": key}
        )
        return None

    @admin.action(description=gettext_lazy("Thu hồi các khóa đã chọn"))
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ("at", "token", "path", "unit_code", "status", "records")
    list_filter = ("status",)
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
