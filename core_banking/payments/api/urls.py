from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("payments/", views.PaymentListCreateApi.as_view(), name="payment-list"),
    path("payments/preview/", views.PaymentPreviewApi.as_view(), name="payment-preview"),
    path("payments/<int:payment_id>/", views.PaymentDetailApi.as_view(), name="payment-detail"),
    path("payments/<int:payment_id>/release/", views.PaymentReleaseApi.as_view(), name="payment-release"),
    path("payments/<int:payment_id>/reject/", views.PaymentRejectApi.as_view(), name="payment-reject"),
    path("payments/<int:payment_id>/return/", views.PaymentReturnApi.as_view(), name="payment-return"),
    path("fx/rates/", views.FxRateListCreateApi.as_view(), name="fx-rate-list"),
    path("fx/quotes/", views.FxQuoteCreateApi.as_view(), name="fx-quote-create"),
]
