from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    # data entry
    path("new/", views.member_admit, name="member_admit"),
    path("transfer-in/", views.member_transfer_in, name="member_transfer_in"),
    path("recognitions/", views.recognition_due, name="recognition_due"),
    path("<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/recognize/", views.member_recognize, name="member_recognize"),
    path("<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/death/", views.member_death, name="member_death"),
    path("<int:pk>/exempt/", views.member_exempt, name="member_exempt"),
    path("<int:pk>/restore/", views.member_restore, name="member_restore"),
    path("<int:pk>/readmit/", views.member_readmit, name="member_readmit"),
    path("<int:pk>/events/<int:event_pk>/cancel/", views.event_cancel, name="event_cancel"),
    # rosters in and out as Excel workbooks
    path("imports/", views.roster_import_list, name="roster_import_list"),
    path("imports/template.xlsx", views.roster_template, name="roster_template"),
    path("imports/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path("imports/<int:pk>/decide/", views.roster_import_decide, name="roster_import_decide"),
    path("imports/<int:pk>/confirm/", views.roster_import_confirm, name="roster_import_confirm"),
    path("imports/<int:pk>/recheck/", views.roster_import_recheck, name="roster_import_recheck"),
    path("imports/<int:pk>/discard/", views.roster_import_discard, name="roster_import_discard"),
    path("export/<slug:code>.xlsx", views.roster_export, name="roster_export"),
    path("export/<slug:code>/prepare/", views.roster_export_request, name="roster_export_request"),
    path("exports/<int:pk>/", views.roster_export_detail, name="roster_export_detail"),
    path("exports/<int:pk>/file", views.roster_export_file, name="roster_export_file"),
]
