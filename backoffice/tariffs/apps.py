from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "backoffice.tariffs"
    label = "tariffs"
    verbose_name = "Tariffs and fees"

    def ready(self) -> None:
        from core_banking.payments.seams import payment_released

        from .policy import give_back_usage

        # A rejected or returned payment gives back the fee usage (free allowance, volume) it took.
        payment_released.connect(give_back_usage, dispatch_uid="tariffs.give_back_usage")
