from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "core_banking.accounts"
    label = "accounts"
    verbose_name = "Products and accounts"
