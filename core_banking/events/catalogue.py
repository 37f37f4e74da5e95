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
_BATCH = ("batch_id", "rail", "currency", "business_date", "status", "from_status", "message_id", "item_count",
          "total_amount", "reason")
_SUSPENSE = ("suspense_id", "status", "from_status", "amount", "currency", "reason_code", "creditor_iban",
             "payment_id", "reason")
_ACCOUNT = ("account_id", "iban", "customer_id", "currency", "status", "from_status", "reason")

EVENT_TYPES: dict[str, EventType] = {t.type: t for t in [
    EventType("payment.created", 1, "payment", "A payment was accepted (initiated).", _PAYMENT),
    EventType("payment.posted", 1, "payment", "A payment's journal entry was posted: money moved.", _PAYMENT),
    EventType("payment.pending_review", 1, "payment",
              "A payment is held for a person to review (a limit, a screening hit or its size).", _PAYMENT),
    EventType("payment.rejected", 1, "payment", "A payment held for review was rejected; its hold is released.",
              _PAYMENT),
    EventType("payment.returned", 1, "payment", "A posted payment was returned by one reversing entry.", _PAYMENT),
    EventType("payment.sent", 1, "payment",
              "An outgoing payment left in a settlement batch's file (pain.001) to the scheme.", _PAYMENT),
    EventType("payment.settled", 1, "payment",
              "The scheme accepted an outgoing payment (pain.002 or camt.054): it reached the beneficiary's bank.",
              _PAYMENT),
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
    *[EventType(f"settlement.batch_{status}", 1, "settlement_batch", description, _BATCH) for status, description in (
        ("closed", "A settlement batch reached its cut-off: its pain.001 file was written and stored."),
        ("sent", "A settlement batch's file went to the scheme; its payments are sent."),
        ("completed", "Every payment of a settlement batch has the scheme's answer (settled or returned)."),
        ("cancelled", "A settlement batch was cancelled before it was sent; its payments queue again."),
    )],
    EventType("settlement.file_imported", 1, "settlement_file",
              "A status report (pain.002) or notification (camt.054) was imported.",
              ("file_id", "kind", "name", "sha256", "batch_id", "settled", "returned", "credited", "suspense")),
    EventType("settlement.suspense_opened", 1, "suspense_item",
              "An incoming credit could not be applied (unknown or closed beneficiary): it waits in suspense.",
              _SUSPENSE),
    EventType("settlement.suspense_resolved", 1, "suspense_item",
              "An incoming credit left suspense: booked to an account, returned to its sender, or back in suspense.",
              _SUSPENSE),
]}


# What each payload member holds, for the OpenAPI document (``api/serializers.py``): ids are
# integers, money a decimal string, dates ISO dates; a member of no listed kind is a string or
# null. Every member may be null (an incoming payment has no debtor account).
INTEGER_MEMBERS = frozenset({"payment_id", "debtor_account_id", "creditor_account_id", "entry_id", "batch_id",
                             "suspense_id", "account_id", "customer_id", "application_id", "request_id",
                             "item_count", "rows", "file_id", "settled", "returned", "credited", "suspense"})
DECIMAL_MEMBERS = frozenset({"amount", "total_amount"})
DATE_MEMBERS = frozenset({"business_date"})


def member_schema(member: str) -> dict:
    if member in INTEGER_MEMBERS:
        return {"type": "integer", "nullable": True}
    if member in DECIMAL_MEMBERS:
        return {"type": "string", "format": "decimal", "nullable": True}
    if member in DATE_MEMBERS:
        return {"type": "string", "format": "date", "nullable": True}
    return {"type": "string", "nullable": True}


def payload_schema(kind: EventType) -> dict:
    """The JSON schema of one event type's payload (version ``kind.version``)."""
    return {"title": f"{kind.type} v{kind.version}", "description": kind.description, "type": "object",
            "properties": {member: member_schema(member) for member in kind.members},
            "additionalProperties": False}

