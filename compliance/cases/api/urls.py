"""Mounted under ``/api/v1/compliance/``."""

from django.urls import path

from . import views

app_name = "compliance_cases"
urlpatterns = [
    path("alerts/", views.AlertListApi.as_view(), name="alert-list"),
    path("alerts/<int:alert_id>/", views.AlertDetailApi.as_view(), name="alert-detail"),
    path("alerts/<int:alert_id>/decide/", views.AlertDecideApi.as_view(), name="alert-decide"),
    path("cases/", views.CaseListApi.as_view(), name="case-list"),
    path("cases/<int:case_id>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:case_id>/transitions/", views.CaseTransitionApi.as_view(), name="case-transition"),
    path("cases/<int:case_id>/assign/", views.CaseAssignApi.as_view(), name="case-assign"),
    path("cases/<int:case_id>/notes/", views.CaseNoteApi.as_view(), name="case-notes"),
    path("cases/<int:case_id>/attachments/", views.CaseAttachmentUploadApi.as_view(), name="case-attachments"),
    path("cases/<int:case_id>/attachments/<int:attachment_id>/download/", views.CaseAttachmentDownloadApi.as_view(),
         name="attachment-download"),
    path("cases/<int:case_id>/report/", views.CaseReportApi.as_view(), name="case-report"),
]
