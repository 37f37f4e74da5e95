from django.apps import AppConfig


class LimitsConfig(AppConfig):
    name = "backoffice.limits"
    label = "limits"
    verbose_name = "Limits"
