from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "backoffice.tickets"
    label = "tickets"
    verbose_name = "Support tickets"

    def ready(self) -> None:
        # Keeps each team's permission group in step with its members (guardian object
        # permissions on a team's tickets are granted to that group).
        from . import signals  # noqa: F401
