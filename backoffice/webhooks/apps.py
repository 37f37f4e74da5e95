from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "backoffice.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from core_banking.events.services import on_commit_of_events

        from .relay import wake

        # After a transaction that emitted events commits, the relay is woken (at most once a
        # second per process); the beat schedule catches anything a wake-up missed.
        on_commit_of_events(wake)
