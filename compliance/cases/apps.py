from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "compliance.cases"
    label = "compliance_cases"
    verbose_name = "Compliance: alerts and cases"
