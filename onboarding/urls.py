from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path

from . import views

app_name = "onboarding"


def _superuser(view):
    """The admin's own sign-in, then superusers only (the file may make superusers): 403 for
    other staff."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(wrapped)


urlpatterns = [
    path("", _superuser(views.upload), name="upload"),
    path("template.xlsx", _superuser(views.template), name="template"),
]
