from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "core_banking.loans"
    label = "loans"
    verbose_name = "Loans"
