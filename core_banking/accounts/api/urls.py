from django.urls import path, re_path

from core_banking.accounts.transitions import BY_SLUG

from . import views

app_name = "accounts"
urlpatterns = [
    path("products/", views.ProductListCreateApi.as_view(), name="product-list"),
    path("products/<int:product_id>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("accounts/", views.AccountListOpenApi.as_view(), name="account-list"),
    path("accounts/<int:account_id>/", views.AccountDetailApi.as_view(), name="account-detail"),
    path("accounts/<int:account_id>/balance/", views.AccountBalanceApi.as_view(), name="account-balance"),
    path("accounts/<int:account_id>/statement/", views.AccountStatementApi.as_view(), name="account-statement"),
    path("accounts/<int:account_id>/close/", views.AccountCloseApi.as_view(), name="account-close"),
    path("accounts/<int:account_id>/overdraft/", views.AccountOverdraftApi.as_view(), name="account-overdraft"),
    re_path(
        rf"^accounts/(?P<account_id>[0-9]+)/(?P<action>{'|'.join(BY_SLUG)})/$",
        views.AccountTransitionApi.as_view(),
        name="account-transition",
    ),
]
