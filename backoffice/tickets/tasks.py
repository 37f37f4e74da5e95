"""Ticket periodic work (Celery). Tasks are thin: they call one service and are safe to run twice."""

from celery import shared_task

from backoffice.tickets import services


@shared_task(name="tickets.escalate_breaches")
def escalate_breaches() -> dict[str, int]:
    """Flag tickets past their response or resolution due time and raise their escalation level;
    returns how many were flagged per kind. A second run finds nothing new to flag."""
    return services.escalate_breaches()
