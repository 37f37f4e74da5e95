"""Compliance case periodic work (Celery). Tasks are thin: they call one service and are safe to run twice."""

from celery import shared_task

from compliance.cases import services


@shared_task(name="compliance.escalate_overdue_cases")
def escalate_overdue_cases() -> int:
    """Escalate the open or investigating cases past their SLA (``due_at``); returns how many.
    A second run finds nothing new to escalate."""
    return services.escalate_overdue_cases()
