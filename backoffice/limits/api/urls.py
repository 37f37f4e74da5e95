"""Included by the project under ``api/v1/limits/``."""

from django.urls import path

from . import views

app_name = "limits"
urlpatterns = [
    path("profiles/", views.ProfileListApi.as_view(), name="profile-list"),
    path("profiles/<int:profile_id>/", views.ProfileDetailApi.as_view(), name="profile-detail"),
    path("rules/", views.RuleListCreateApi.as_view(), name="rule-list"),
    path("rules/<int:rule_id>/", views.RuleDetailApi.as_view(), name="rule-detail"),
    path("accounts/<int:account_id>/allowance/", views.AccountAllowanceApi.as_view(), name="account-allowance"),
]
