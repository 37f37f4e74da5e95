"""The reconciliation staff pages, mounted under ``/staff/reconciliation/``."""

from django.urls import path

from . import views

app_name = "reconciliation_staff"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("upload/", views.upload_view, name="upload"),
    path("accounts/<int:account_id>/", views.workspace_view, name="workspace"),
    path("accounts/<int:account_id>/do/<str:action>/", views.workspace_action_view, name="workspace-action"),
    path("breaks/", views.breaks_view, name="breaks"),
    path("breaks/ageing/", views.ageing_view, name="ageing"),
    path("breaks/<int:break_id>/", views.break_view, name="break"),
    path("breaks/<int:break_id>/do/<str:action>/", views.break_action_view, name="break-action"),
    path("safeguarding/", views.safeguarding_view, name="safeguarding"),
    path("safeguarding/export.csv", views.safeguarding_export_view, name="safeguarding-export"),
]
