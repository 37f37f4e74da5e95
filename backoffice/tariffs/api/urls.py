"""Included by the project under ``api/v1/tariffs/``."""

from django.urls import path

from . import views

app_name = "tariffs"
urlpatterns = [
    path("plans/", views.PlanListCreateApi.as_view(), name="plan-list"),
    path("plans/<int:plan_id>/", views.PlanDetailApi.as_view(), name="plan-detail"),
    path("plans/<int:plan_id>/versions/", views.VersionCreateApi.as_view(), name="version-create"),
    path("versions/<int:version_id>/", views.VersionDetailApi.as_view(), name="version-detail"),
    path("versions/<int:version_id>/rules/", views.RuleCreateApi.as_view(), name="rule-create"),
]
