"""Settlement periodic work (Celery). Thin: one call, safe to run twice (a closed batch is not
closed again; a sent one is not sent again)."""

from dataclasses import asdict

from celery import shared_task

from .services import close_due_batches as _close_due_batches


@shared_task(name="settlement.close_due_batches")
def close_due_batches() -> dict:
    """Queue outgoing payments into batches, close the batches whose cut-off has passed (their
    pain.001 written and stored) and send the closed ones (``SETTLEMENT_SEND_DELAY``)."""
    return asdict(_close_due_batches())
