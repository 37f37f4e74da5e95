"""The beat schedule is assembled in one function and names only tasks the Celery app runs."""

from django.conf import settings

from backoffice.celery import app
from backoffice.settings import base
from backoffice.settings.beat import beat_schedule


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()  # autodiscovery: every installed app's tasks module
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_scheduled_task_is_registered():
    missing = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - registered_tasks()
    assert not missing, f"scheduled but not registered in the Celery app: {sorted(missing)}"


def test_the_schedule_is_exactly_the_one_function_s_and_keyed_by_task():
    assert settings.CELERY_BEAT_SCHEDULE == base.CELERY_BEAT_SCHEDULE
    assert list(settings.CELERY_BEAT_SCHEDULE) == ["ledger.expire_holds", "tickets.escalate_breaches",
                                                   "kyc.open_periodic_reviews", "payments.verify_books",
                                                   "approvals.expire_requests", "eod.start",
                                                   "compliance.escalate_overdue_cases", "webhooks.relay",
                                                   "settlement.close_due_batches"]
    assert all(name == entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items())


def test_intervals_come_from_the_settings():
    schedule = beat_schedule(ledger_hold_expiry_interval=7, tickets_escalation_interval=11,
                             approvals_expiry_interval=13)
    assert schedule["ledger.expire_holds"]["schedule"] == 7.0
    assert schedule["ledger.expire_holds"]["options"] == {"expire_seconds": 7}
    assert schedule["tickets.escalate_breaches"]["schedule"] == 11.0
    assert schedule["approvals.expire_requests"]["options"] == {"expire_seconds": 13}
    assert schedule["kyc.open_periodic_reviews"]["options"] == {"expire_seconds": 3600}
