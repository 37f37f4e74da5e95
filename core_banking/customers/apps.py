from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "core_banking.customers"
    label = "customers"
    verbose_name = "Customers"
