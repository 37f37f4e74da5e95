"""Ledger periodic work (Celery). Tasks are thin: they call one service and are safe to run twice."""

from celery import shared_task

from core_banking.ledger import services


@shared_task(name="ledger.expire_holds")
def expire_holds() -> int:
    """Expire pending holds past their expiry time; returns how many were expired.

    Scheduled every ``LEDGER_HOLD_EXPIRY_INTERVAL`` seconds (``CELERY_BEAT_SCHEDULE``). A second
    run at the same moment finds nothing left to expire: the service skips holds that are no
    longer pending.
    """
    return services.holds_expire()
