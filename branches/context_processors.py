from django.utils.functional import SimpleLazyObject

from .access import may_edit_anything


def roles(request):
    """``may_edit_anything``: whether to show data-entry links (queried only when used)."""
    return {"may_edit_anything": SimpleLazyObject(lambda: may_edit_anything(request.user))}
