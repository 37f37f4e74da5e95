from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "core_banking.payments"
    label = "payments"
    verbose_name = "Payments and FX"
