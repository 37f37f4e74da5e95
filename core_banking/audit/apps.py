from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "core_banking.audit"
    label = "audit"
    verbose_name = "Audit trail"
