"""The composite pages' addresses, under the names they had before they moved here: ``home``
at the root, and the unit pages under ``units/`` in the ``branches`` namespace
(``branches:unit_tree``, ``branches:unit_detail``), so that no template or test changes its
links."""

from django.urls import include, path

from . import views

unit_patterns = [
    path("", views.unit_tree, name="unit_tree"),
    path("<slug:code>/", views.unit_detail, name="unit_detail"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("units/", include((unit_patterns, "branches"))),
    path("reports/", views.report_index, name="report_index"),
]
