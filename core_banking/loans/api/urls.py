from django.urls import path

from core_banking.loans.transitions import BY_SLUG

from . import views

app_name = "loans"
urlpatterns = [
    path("products/", views.LoanProductListCreateApi.as_view(), name="product-list"),
    path("products/<int:product_id>/", views.LoanProductDetailApi.as_view(), name="product-detail"),
    path("", views.LoanListApplyApi.as_view(), name="loan-list"),
    path("<int:loan_id>/", views.LoanDetailApi.as_view(), name="loan-detail"),
    # The staff actions of the transition table (core_banking/loans/transitions.py): approve,
    # disburse, write-off.
    *(path(f"<int:loan_id>/{slug}/", views.TRANSITION_VIEWS[spec.name].as_view(), name=f"loan-{slug}")
      for slug, spec in BY_SLUG.items()),
    path("<int:loan_id>/repayments/", views.LoanRepaymentsApi.as_view(), name="loan-repayments"),
    path("<int:loan_id>/early-repayment/", views.LoanEarlyRepaymentApi.as_view(), name="loan-early-repayment"),
]
