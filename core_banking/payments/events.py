"""The payment's domain events (``core_banking/events/catalogue.py``): ``payment.created`` and
one ``payment.<status>`` per transition, written by the status-history helpers of
``services/booking.py`` in the payment's own transaction."""

from __future__ import annotations

from core_banking.events.services import emit_many

from .models import Payment


def _audience(payment: Payment) -> list[int | None]:
    """Who may see it under client isolation (``selectors.visible_payments_q``): its maker and
    the makers of the customers on either side."""
    people = [payment.created_by_id]
    for account in (payment.debtor_account, payment.creditor_account):
        if account is not None:
            people.append(account.customer.created_by_id)
    return people


def payment_events(payment: Payment, steps: list[tuple[str, str, str]], *, batch=None) -> None:
    """One event per ``(event_type, from_status, reason)``, in one INSERT (added to ``batch``
    when given)."""
    emit_many([(event_type, payment.pk, _payload(payment, event_type, from_status, reason))
               for event_type, from_status, reason in steps], audience=_audience(payment), batch=batch)


def _payload(payment: Payment, event_type: str, from_status: str, reason: str) -> dict:
    return {
        "payment_id": payment.pk, "reference": payment.reference, "kind": payment.kind,
        "status": Payment.Status.INITIATED if event_type == "payment.created" else payment.status,
        "from_status": from_status, "amount": str(payment.amount), "currency": payment.currency_id,
        "debtor_account_id": payment.debtor_account_id, "creditor_account_id": payment.creditor_account_id,
        "counterparty_iban": payment.counterparty_iban, "business_date": payment.business_date.isoformat(),
        "entry_id": payment.entry_id, "reason": reason[:500],
    }
