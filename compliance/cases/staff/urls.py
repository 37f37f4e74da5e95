"""The compliance staff pages, mounted under ``/staff/compliance/``."""

from django.urls import path

from . import views

app_name = "compliance_staff"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("cases/<int:case_id>/", views.case_view, name="case"),
    path("cases/<int:case_id>/do/<str:action>/", views.case_action_view, name="case-action"),
    path("cases/<int:case_id>/attachments/<int:attachment_id>/", views.attachment_download_view,
         name="attachment-download"),
    path("cases/<int:case_id>/report.json", views.report_export_view, name="report-export"),
]
