from django.apps import AppConfig


class ApiClientsConfig(AppConfig):
    name = "backoffice.api_clients"
    label = "api_clients"
    verbose_name = "API clients"

    def ready(self) -> None:
        from . import schema  # noqa: F401 - registers the OpenAPI authentication extension

