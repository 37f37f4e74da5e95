from django.urls import path

from core_banking.payments.transitions import BY_SLUG

from . import views

app_name = "payments"
urlpatterns = [
    path("payments/", views.PaymentListCreateApi.as_view(), name="payment-list"),
    path("payments/preview/", views.PaymentPreviewApi.as_view(), name="payment-preview"),
    path("payments/<int:payment_id>/", views.PaymentDetailApi.as_view(), name="payment-detail"),
    # The staff transitions of the transition table (core_banking/payments/transitions.py):
    # release, reject, return.
    *(path(f"payments/<int:payment_id>/{slug}/", views.TRANSITION_VIEWS[spec.name].as_view(),
           name=f"payment-{slug}")
      for slug, spec in BY_SLUG.items()),
    path("fx/rates/", views.FxRateListCreateApi.as_view(), name="fx-rate-list"),
    path("fx/quotes/", views.FxQuoteCreateApi.as_view(), name="fx-quote-create"),
]
