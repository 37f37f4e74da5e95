from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "core_banking.ledger"
    label = "ledger"
    verbose_name = "Ledger"
