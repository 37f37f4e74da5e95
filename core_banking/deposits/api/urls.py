from django.urls import path

from . import views

app_name = "deposits"
urlpatterns = [
    path("", views.DepositListCreateApi.as_view(), name="deposit-list"),
    path("products/", views.DepositProductListCreateApi.as_view(), name="product-list"),
    path("<int:deposit_id>/", views.DepositDetailApi.as_view(), name="deposit-detail"),
    path("<int:deposit_id>/withdraw/", views.DepositWithdrawApi.as_view(), name="deposit-withdraw"),
    path("<int:deposit_id>/accruals/", views.DepositAccrualListApi.as_view(), name="deposit-accruals"),
]
