"""Mounted under ``/api/v1/approvals/``."""

from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.MyRequestsApi.as_view(), name="request-list"),
    path("inbox/", views.InboxApi.as_view(), name="inbox"),
    path("<int:request_id>/", views.RequestDetailApi.as_view(), name="request-detail"),
    path("<int:request_id>/approve/", views.ApproveApi.as_view(), name="request-approve"),
    path("<int:request_id>/reject/", views.RejectApi.as_view(), name="request-reject"),
    path("<int:request_id>/cancel/", views.CancelApi.as_view(), name="request-cancel"),
    path("<int:request_id>/retry/", views.RetryApi.as_view(), name="request-retry"),
]
