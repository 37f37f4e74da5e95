"""Mounted under ``/api/v1/approvals/``."""

from django.urls import path

from backoffice.approvals.transitions import STAFF_ACTIONS

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.MyRequestsApi.as_view(), name="request-list"),
    path("inbox/", views.InboxApi.as_view(), name="inbox"),
    path("<int:request_id>/", views.RequestDetailApi.as_view(), name="request-detail"),
    # What a person does with a request, from the transition table (backoffice/approvals/transitions.py).
    *(path(f"<int:request_id>/{action.name}/", views.STAFF_ACTION_VIEWS[action.name].as_view(),
           name=f"request-{action.name}") for action in STAFF_ACTIONS),
]
