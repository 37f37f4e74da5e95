"""Every domain event the engine and the back office publish: its type, payload version and what
its payload holds. The feed (``GET /api/v1/events/``), the webhooks and ``docs/events.md`` all
read this table; ``services.emit`` refuses a type that is not in it.

A payload is a flat JSON object of ids, codes, decimal strings and ISO dates: never a float. A
change that removes or renames a member is a new ``version``; adding a member is not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    type: str
    version: int
    aggregate: str
    description: str
    members: tuple[str, ...]


_PAYMENT = ("payment_id", "reference", "kind", "status", "from_status", "amount", "currency",
            "debtor_account_id", "creditor_account_id", "counterparty_iban", "business_date", "entry_id", "reason")
_ACCOUNT = ("account_id", "iban", "customer_id", "currency", "status", "from_status", "reason")

EVENT_TYPES: dict[str, EventType] = {t.type: t for t in [
    EventType("payment.created", 1, "payment", "A payment was accepted (initiated).", _PAYMENT),
    EventType("payment.posted", 1, "payment", "A payment's journal entry was posted: money moved.", _PAYMENT),
    EventType("payment.pending_review", 1, "payment",
              "A payment is held for a person to review (a limit, a screening hit or its size).", _PAYMENT),
    EventType("payment.rejected", 1, "payment", "A payment held for review was rejected; its hold is released.",
              _PAYMENT),
    EventType("payment.returned", 1, "payment", "A posted payment was returned by one reversing entry.", _PAYMENT),
    EventType("account.opened", 1, "account", "An account was opened.", _ACCOUNT),
    EventType("account.status_changed", 1, "account",
              "An account's status changed: frozen, active again, debits or credits blocked, dormant, closed.",
              _ACCOUNT),
    EventType("kyc.decided", 1, "customer", "A KYC application was approved or rejected.",
              ("customer_id", "application_id", "decision", "kyc_status", "risk_rating")),
    EventType("approval.decided", 1, "approval_request",
              "A maker-checker request was approved, executed, rejected, cancelled or expired.",
              ("request_id", "action_type", "status", "from_status", "target")),
    EventType("eod.step_completed", 1, "eod_run", "A step of a business date's end of day completed.",
              ("business_date", "step", "label", "rows")),
    EventType("eod.run_completed", 1, "eod_run", "A business date's end of day completed.",
              ("business_date", "status", "from_status")),
]}
