"""The composite pages' addresses, under the names they had before they moved here: ``home``,
and the unit pages in the ``branches`` namespace (``branches:unit_tree``,
``branches:unit_detail``), so that no template or test changes its links."""

from django.urls import path

from . import views

home_patterns = [
    path("", views.home, name="home"),
]

unit_patterns = (
    [
        path("", views.unit_tree, name="unit_tree"),
        path("<slug:code>/", views.unit_detail, name="unit_detail"),
    ],
    "branches",
)
