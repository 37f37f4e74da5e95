from django.urls import path

from . import views

app_name = "loans"
urlpatterns = [
    path("products/", views.LoanProductListCreateApi.as_view(), name="product-list"),
    path("products/<int:product_id>/", views.LoanProductDetailApi.as_view(), name="product-detail"),
    path("", views.LoanListApplyApi.as_view(), name="loan-list"),
    path("<int:loan_id>/", views.LoanDetailApi.as_view(), name="loan-detail"),
    path("<int:loan_id>/approve/", views.LoanApproveApi.as_view(), name="loan-approve"),
    path("<int:loan_id>/disburse/", views.LoanDisburseApi.as_view(), name="loan-disburse"),
    path("<int:loan_id>/repayments/", views.LoanRepaymentsApi.as_view(), name="loan-repayments"),
    path("<int:loan_id>/early-repayment/", views.LoanEarlyRepaymentApi.as_view(), name="loan-early-repayment"),
    path("<int:loan_id>/write-off/", views.LoanWriteOffApi.as_view(), name="loan-write-off"),
]
