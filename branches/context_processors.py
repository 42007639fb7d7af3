from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .access import may_edit_anything


def roles(request):
    """``may_edit_anything``: whether to show data-entry links (queried only when used)."""
    # Kept on the request too: the menu reads the same answer (one query per request at most).
    lazy = SimpleLazyObject(lambda: may_edit_anything(request.user))
    request.may_edit_anything = lazy
    return {"may_edit_anything": lazy}


def office(request):
    """The office's name and organization, from the settings (``OFFICE_NAME``, …)."""
    return {
        "office_name": settings.OFFICE_NAME,
        "office_organization": settings.OFFICE_ORGANIZATION,
    }
