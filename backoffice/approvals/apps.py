from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "backoffice.approvals"
    label = "approvals"
    verbose_name = "Approvals (maker-checker)"
