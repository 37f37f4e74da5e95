from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("entries/", views.EntryListCreateApi.as_view(), name="entry-list"),
    path("entries/bulk/", views.EntryBulkCreateApi.as_view(), name="entry-bulk"),
    path("entries/<int:entry_id>/", views.EntryDetailApi.as_view(), name="entry-detail"),
    path("entries/<int:entry_id>/reverse/", views.EntryReverseApi.as_view(), name="entry-reverse"),
    path("accounts/", views.AccountListCreateApi.as_view(), name="account-list"),
    path("accounts/<int:account_id>/", views.AccountDetailApi.as_view(), name="account-detail"),
    path("accounts/<int:account_id>/balance/", views.AccountBalanceApi.as_view(), name="account-balance"),
    path("accounts/<int:account_id>/statement/", views.AccountStatementApi.as_view(), name="account-statement"),
    path("holds/", views.HoldCreateApi.as_view(), name="hold-create"),
    path("holds/<int:hold_id>/", views.HoldDetailApi.as_view(), name="hold-detail"),
    path("holds/<int:hold_id>/post/", views.HoldPostApi.as_view(), name="hold-post"),
    path("holds/<int:hold_id>/void/", views.HoldVoidApi.as_view(), name="hold-void"),
    path("trial-balance/", views.TrialBalanceApi.as_view(), name="trial-balance"),
]
