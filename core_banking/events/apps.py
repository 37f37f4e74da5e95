from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "core_banking.events"
    label = "events"
    verbose_name = "Domain events"
