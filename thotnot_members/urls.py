"""Root URLs. Every page but sign-in needs a signed-in user (each view says so).

The apps' URL modules are named by string, never imported: the project imports no app (the
layer contract in .importlinter)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # The home page and the unit pages (units/), which read every app.
    path("", include("pages.urls")),
    path("members/", include("members.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/office/", include("onboarding.urls")),
    path("admin/", admin.site.urls),
    path("health/", include("thotnot_members.health")),
]
