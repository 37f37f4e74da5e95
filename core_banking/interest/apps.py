from django.apps import AppConfig


class InterestConfig(AppConfig):
    name = "core_banking.interest"
    label = "interest"
    verbose_name = "Interest"
