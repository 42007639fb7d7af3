from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .access import may_edit_anything


def roles(request):
    """``may_edit_anything``: whether to show data-entry links (queried only when used)."""
    return {"may_edit_anything": SimpleLazyObject(lambda: may_edit_anything(request.user))}


def office(request):
    """The office's name and organization, from the settings (``OFFICE_NAME``, …)."""
    return {
        "office_name": settings.OFFICE_NAME,
        "office_organization": settings.OFFICE_ORGANIZATION,
    }
