from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "compliance.screening"
    label = "compliance_screening"
    verbose_name = "Compliance: sanctions and PEP screening"
