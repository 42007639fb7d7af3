"""Root URLs. Every page but sign-in needs a signed-in user (each view says so)."""

from django.contrib import admin
from django.urls import include, path

from members.views import home

urlpatterns = [
    path("", home, name="home"),
    path("units/", include("branches.urls")),
    path("members/", include("members.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("health/", include("thotnot_members.health")),
]
