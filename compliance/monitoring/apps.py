from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "compliance.monitoring"
    label = "compliance_monitoring"
    verbose_name = "Compliance: transaction monitoring"
