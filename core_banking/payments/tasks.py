"""Payments periodic work (Celery). Thin: one call each, safe to run twice."""

import logging

from celery import shared_task

from core_banking.audit.services import audit_record
from core_banking.payments.books import payments_books_check

logger = logging.getLogger(__name__)


@shared_task(name="payments.verify_books")
def verify_books() -> dict:
    """Compare every payment with its journal entries and holds (nightly, until the end-of-day
    batch runs it as a step). A mismatch is logged at ERROR and recorded in the audit trail as
    ``books.mismatch`` with the first mismatches named, so operations see it the next morning."""
    report = payments_books_check(limit=20)
    summary = {"payments": report.payments, "ok": report.ok, "problem_count": report.problem_count}
    if not report.ok:
        logger.error("books check: %s mismatch(es) between payments and the ledger: %s", report.problem_count,
                     report.problems)
        audit_record(action="books.mismatch", object_type="payments.payment", object_id="",
                     object_repr=f"{report.problem_count} mismatch(es)", after={**summary,
                                                                                 "problems": report.problems})
    return summary
