"""The account's domain events (``core_banking/events/catalogue.py``): ``account.opened`` and
``account.status_changed``, written next to the status history in the account's transaction."""

from __future__ import annotations

from core_banking.events.services import emit

from .models import Account


def account_event(account: Account, *, from_status: str, reason: str = "") -> None:
    # Who may see it under client isolation: whoever onboarded the customer (the account is
    # theirs) and whoever opened the account.
    owner = account.customer.created_by_id
    emit("account.opened" if from_status == "" else "account.status_changed", aggregate_id=account.pk,
         audience=[owner, account.created_by_id], payload={
             "account_id": account.pk, "iban": account.iban, "customer_id": account.customer_id,
             "currency": account.currency_id, "status": account.status, "from_status": from_status,
             "reason": reason[:500]})
