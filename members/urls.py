from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("print/", views.member_list_print, name="member_list_print"),
    path("list.xlsx", views.member_list_xlsx, name="member_list_xlsx"),
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
    # issue 24: periods, cards, transfers between offices in two steps
    path("<int:pk>/exempt/end/", views.exemption_end, name="exemption_end"),
    path("<int:pk>/temporary/return/", views.temporary_return, name="temporary_return"),
    path("<int:pk>/card/", views.card_record, name="card_record"),
    path("<int:pk>/send/", views.transfer_send, name="transfer_send"),
    path("transfers/<int:pk>/receive/", views.transfer_receive, name="transfer_receive"),
    path("transfers/pending/", views.transfers_pending, name="transfers_pending"),
    path("temporary/overdue/", views.temporary_overdue, name="temporary_overdue"),
    path("<int:pk>/events/<int:event_pk>/cancel/", views.event_cancel, name="event_cancel"),
    # rosters in and out as Excel workbooks
    path("imports/", views.roster_import_list, name="roster_import_list"),
    path("imports/template.xlsx", views.roster_template, name="roster_template"),
    path("imports/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path("imports/<int:pk>/map/", views.roster_import_map, name="roster_import_map"),
    path("imports/<int:pk>/decide/", views.roster_import_decide, name="roster_import_decide"),
    path("imports/<int:pk>/confirm/", views.roster_import_confirm, name="roster_import_confirm"),
    path("imports/<int:pk>/recheck/", views.roster_import_recheck, name="roster_import_recheck"),
    path("imports/<int:pk>/discard/", views.roster_import_discard, name="roster_import_discard"),
    path("export/<slug:code>.xlsx", views.roster_export, name="roster_export"),
    path("export/<slug:code>/prepare/", views.roster_export_request, name="roster_export_request"),
    path("exports/<int:pk>/", views.roster_export_detail, name="roster_export_detail"),
    path("exports/<int:pk>/file", views.roster_export_file, name="roster_export_file"),
    # the log of bulk and sensitive reads
    path("reads/", views.bulk_read_list, name="bulk_read_list"),
]
