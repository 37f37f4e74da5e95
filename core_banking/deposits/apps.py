from django.apps import AppConfig


class DepositsConfig(AppConfig):
    name = "core_banking.deposits"
    label = "deposits"
    verbose_name = "Deposits"
