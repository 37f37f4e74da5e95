from django.apps import AppConfig


class LimitsConfig(AppConfig):
    name = "backoffice.limits"
    label = "limits"
    verbose_name = "Limits"

    def ready(self) -> None:
        # Connects the payment_released receiver that gives a released payment's usage back,
        # whether or not a payment has loaded the check yet in this process.
        from . import checks  # noqa: F401
