"""KYC periodic work (Celery). Tasks are thin: they call one service and are safe to run twice."""

from celery import shared_task

from backoffice.kyc import services


@shared_task(name="kyc.open_periodic_reviews")
def open_periodic_reviews() -> int:
    """Open a periodic-review application for each customer whose review date has passed and who
    has no open application; returns how many were opened. A second run opens none."""
    return services.open_periodic_reviews()
