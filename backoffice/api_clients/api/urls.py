from django.urls import path

from . import views

app_name = "api_clients"
urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("api-clients/", views.ApiClientListCreateApi.as_view(), name="client-list"),
    path("api-clients/<int:client_id>/", views.ApiClientDetailApi.as_view(), name="client-detail"),
    path(
        "api-clients/<int:client_id>/tokens/",
        views.ApiTokenListIssueApi.as_view(),
        name="client-tokens",
    ),
    path(
        "api-tokens/<str:prefix>/revoke/",
        views.ApiTokenRevokeApi.as_view(),
        name="token-revoke",
    ),
]
