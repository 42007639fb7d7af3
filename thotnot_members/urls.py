"""Root URLs. Every page but sign-in needs a signed-in user (each view says so)."""

from django.contrib import admin
from django.urls import include, path

from pages.urls import home_patterns, unit_patterns

urlpatterns = [
    path("", include(home_patterns)),
    path("units/", include(unit_patterns)),
    path("members/", include("members.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
