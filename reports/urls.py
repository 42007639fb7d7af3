from django.urls import path

from . import csv_views, views

app_name = "reports"

urlpatterns = [
    path("<slug:code>/", views.unit_report, name="unit_report"),
    path("<slug:code>/report.pdf", views.unit_report_pdf, name="unit_report_pdf"),
    path("<slug:code>/report.xlsx", views.unit_report_xlsx, name="unit_report_xlsx"),
    path("<slug:code>/records/", views.records, name="records"),
    path("<slug:code>/records.csv", csv_views.records_csv, name="records_csv"),
    path("<slug:code>/form-1/", views.form1, name="form1"),
    path("<slug:code>/form-1.pdf", views.form1_pdf, name="form1_pdf"),
    path("<slug:code>/form-1.xlsx", views.form1_xlsx, name="form1_xlsx"),
    path("<slug:code>/form-1.csv", csv_views.form1_csv, name="form1_csv"),
    path("<slug:code>/form-2/", views.form2, name="form2"),
    path("<slug:code>/form-2.pdf", views.form2_pdf, name="form2_pdf"),
    path("<slug:code>/form-2.xlsx", views.form2_xlsx, name="form2_xlsx"),
    path("<slug:code>/form-2.csv", csv_views.form2_csv, name="form2_csv"),
]
