from django.apps import AppConfig


class KycConfig(AppConfig):
    name = "backoffice.kyc"
    label = "kyc"
    verbose_name = "KYC review"
