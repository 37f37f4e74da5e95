from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "core_banking.settlement"
    label = "settlement"
    verbose_name = "Settlement (SEPA batches and files)"
