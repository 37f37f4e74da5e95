from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "backoffice.tariffs"
    label = "tariffs"
    verbose_name = "Tariffs and fees"
