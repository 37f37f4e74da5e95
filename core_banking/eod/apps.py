from django.apps import AppConfig


class EodConfig(AppConfig):
    name = "core_banking.eod"
    label = "eod"
    verbose_name = "End of day"
