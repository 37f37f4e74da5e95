"""Approval periodic work (Celery). Tasks are thin: they call one service and are safe to run twice."""

from celery import shared_task

from backoffice.approvals import services


@shared_task(name="approvals.expire_requests")
def expire_requests() -> int:
    """Expire the pending requests past their expiry time; returns how many. A second run finds none."""
    return services.expire_requests()
