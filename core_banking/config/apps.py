from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "core_banking.config"
    label = "config"
    verbose_name = "Configuration generations"
