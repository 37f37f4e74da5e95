from django.urls import path

from core_banking.deposits.transitions import WITHDRAW_EARLY

from . import views

app_name = "deposits"
urlpatterns = [
    path("", views.DepositListCreateApi.as_view(), name="deposit-list"),
    path("products/", views.DepositProductListCreateApi.as_view(), name="product-list"),
    path("<int:deposit_id>/", views.DepositDetailApi.as_view(), name="deposit-detail"),
    path(f"<int:deposit_id>/{WITHDRAW_EARLY.slug}/", views.DepositWithdrawApi.as_view(),
         name=f"deposit-{WITHDRAW_EARLY.slug}"),
    path("<int:deposit_id>/accruals/", views.DepositAccrualListApi.as_view(), name="deposit-accruals"),
]
