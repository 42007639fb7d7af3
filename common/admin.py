"""Admin bases every app's admin uses: read-only pages and inlines, and a change page that
writes only the columns the staff changed.

The admin site's own settings (its titles, superusers only) stay in ``branches/admin.py``,
which Django's admin autodiscovery imports; this module is imported by the apps' admins.
"""

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from simple_history.admin import SimpleHistoryAdmin


def shown(value) -> str:
    """``value`` as the admin shows a field's (dates dd/mm/yyyy, "-" for none).

    For the ``admin.display`` methods that label fields the models leave unlabelled: the
    change page prints such a method's value raw (``2004-01-01``).
    """
    return display_for_value(value, admin.site.empty_value_display)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived or history-bearing rows: shown, never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PartialSaveAdmin(SimpleHistoryAdmin):
    """On change, writes only the columns the staff changed.

    The columns the services write (a unit's dissolution, a member's cached status and cell)
    are never written from the admin, not even with the values read at the start of the
    request, so a service's write in between is not undone. This is no protection against two
    staff editing the same field: the admin has none (the application's pages must).
    """

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
        elif form.changed_data:
            auto_now = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
            obj.save(update_fields=[*form.changed_data, *auto_now])
