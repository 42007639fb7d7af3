from django.urls import path

from . import views

app_name = "branches"

urlpatterns = [
    path("", views.unit_tree, name="unit_tree"),
    path("<slug:code>/", views.unit_detail, name="unit_detail"),
]
