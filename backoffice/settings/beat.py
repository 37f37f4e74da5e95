"""The whole Celery beat schedule, assembled in one place: ``base.py`` calls :func:`beat_schedule`
once (``CELERY_BEAT_SCHEDULE = beat_schedule(...)``) and nothing else edits it.

Beat writes these entries into django-celery-beat's tables when it starts (``DatabaseScheduler``):
staff can pause one there; the interval always comes from the settings. A run that no worker picks
up within its interval (or the hour, for nightly runs) expires (django-celery-beat's
``expire_seconds``, not Celery's ``expires``): the next run does the same work. Every task named
here must be registered in the Celery app (``tests/backoffice/settings/test_beat.py``).
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab


def _every(task: str, seconds: int) -> dict[str, Any]:
    return {"task": task, "schedule": float(seconds), "options": {"expire_seconds": seconds}}


def _nightly(task: str, *, hour: int, minute: int) -> dict[str, Any]:
    return {"task": task, "schedule": crontab(hour=hour, minute=minute), "options": {"expire_seconds": 3600}}


def beat_schedule(*, ledger_hold_expiry_interval: int, tickets_escalation_interval: int,
                  approvals_expiry_interval: int, eod_start_interval: int = 300,
                  webhooks_relay_interval: int = 10, settlement_close_interval: int = 300) -> dict[str, dict[str, Any]]:
    """Every periodic task, by name, from the interval settings (seconds)."""
    entries = [
        # Holds past their expiry are voided (core_banking/ledger/tasks.py).
        _every("ledger.expire_holds", ledger_hold_expiry_interval),
        # Ticket SLA escalation, one UPDATE per kind of breach (backoffice/tickets/tasks.py).
        _every("tickets.escalate_breaches", tickets_escalation_interval),
        # Customers whose review date has passed get a new KYC review case, every night.
        _nightly("kyc.open_periodic_reviews", hour=2, minute=30),
        # Payments against the books (core_banking/payments/books.py), after the business day.
        _nightly("payments.verify_books", hour=3, minute=15),
        # Approval requests past their time expire.
        _every("approvals.expire_requests", approvals_expiry_interval),
        # The end of day of the open business date, once its cut-off (BANK_CUTOFF) has passed: the
        # task checks often and starts the run only then (core_banking/eod/tasks.py).
        _every("eod.start", eod_start_interval),
        # Compliance cases past their SLA are escalated (compliance/cases/tasks.py).
        _every("compliance.escalate_overdue_cases", 900),
        # The outbox's events to the webhook subscriptions (backoffice/webhooks/relay.py); each
        # commit that emits events also wakes a pass.
        _every("webhooks.relay", webhooks_relay_interval),
        # Outgoing payments into batches; batches past their cut-off closed (pain.001) and sent
        # (core_banking/settlement/tasks.py).
        _every("settlement.close_due_batches", settlement_close_interval),
    ]
    return {entry["task"]: entry for entry in entries}
