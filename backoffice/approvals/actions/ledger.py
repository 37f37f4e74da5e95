"""Maker-checker actions on the ledger: a manual adjustment and the reversal of a journal entry,
executed by ``core_banking.ledger.services``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backoffice.staff.roles import COMPLIANCE_OFFICER, FINANCE, OPERATIONS
from core_banking.ledger import services as ledger
from core_banking.ledger.models import JournalEntry, LedgerAccount, Posting

from ..action_type import ActionType, Payload, Result, bad, decimal, digest, integer, iso_date, only, policy, text

# --- manual ledger adjustment --------------------------------------------------------------------


def adjustment_validate(payload: Payload) -> Payload:
    only(payload, {"postings", "description", "external_ref", "metadata", "value_date"})
    postings = payload.get("postings")
    if not isinstance(postings, list) or len(postings) < 2:
        raise bad("an adjustment needs at least two postings", "postings")
    legs, totals = [], {}
    ids = set()
    for index, leg in enumerate(postings):
        if not isinstance(leg, dict) or set(leg) - {"account_id", "amount", "currency"}:
            raise bad(f"posting {index} must be {{account_id, amount[, currency]}}", "postings")
        account_id = integer(leg, "account_id")
        amount = decimal(leg.get("amount"), "amount")
        if amount == 0:
            raise bad(f"posting {index} has a zero amount", "postings")
        legs.append((index, account_id, amount, leg.get("currency")))
        ids.add(account_id)
    accounts = {a.pk: a for a in LedgerAccount.objects.filter(pk__in=ids)}
    if len(accounts) != len(ids):
        raise bad(f"unknown ledger account(s): {sorted(ids - set(accounts))}", "postings")
    for index, account_id, amount, currency in legs:
        if currency not in (None, "", accounts[account_id].currency_id):
            raise bad(f"posting {index} is in {currency}, its account in {accounts[account_id].currency_id}",
                      "postings")
        currency = accounts[account_id].currency_id
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    if any(total != 0 for total in totals.values()):
        raise bad("the postings do not balance per currency (debits positive, credits negative)", "postings")
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise bad("metadata must be an object", "metadata")
    value_date = payload.get("value_date") or None
    return {"postings": [{"account_id": a, "amount": str(m), "currency": accounts[a].currency_id}
                         for _i, a, m, _c in legs],
            "description": text(payload, "description", required=True),
            "external_ref": text(payload, "external_ref", limit=128),
            "metadata": metadata,
            "value_date": iso_date(value_date, "value_date") if value_date is not None else None}


def adjustment_amount(payload: Payload) -> tuple[Decimal | None, str]:
    debits = [leg for leg in payload["postings"] if Decimal(leg["amount"]) > 0]
    currencies = {leg["currency"] for leg in debits}
    total = sum((Decimal(leg["amount"]) for leg in debits), Decimal(0))
    return total, (currencies.pop() if len(currencies) == 1 else "")


def adjustment_execute(payload: Payload, actor, *, request_id: int) -> Result:
    value_date = payload.get("value_date")
    result = ledger.entry_post(
        kind="adjustment", postings=[{"account_id": leg["account_id"], "amount": Decimal(leg["amount"])}
                                     for leg in payload["postings"]],
        idempotency_key=f"approval:{request_id}", actor=actor, description=payload["description"],
        external_ref=payload.get("external_ref", ""),
        metadata={**(payload.get("metadata") or {}), "approval_request": request_id},
        value_date=dt.date.fromisoformat(value_date) if value_date else None)
    return {"entry_id": result.entry_id, "replayed": result.replayed}


# --- reversal -----------------------------------------------------------------------------------


def reversal_validate(payload: Payload) -> Payload:
    only(payload, {"entry_id", "reason"})
    entry_id = integer(payload, "entry_id")
    if not JournalEntry.objects.filter(pk=entry_id).exists():
        raise bad(f"journal entry {entry_id} does not exist", "entry_id")
    return {"entry_id": entry_id, "reason": text(payload, "reason", required=True)}


def reversal_amount(payload: Payload) -> tuple[Decimal | None, str]:
    rows = list(Posting.objects.filter(entry_id=payload["entry_id"], amount__gt=0).values_list("amount", "currency_id"))
    currencies = {currency for _amount, currency in rows}
    return sum((amount for amount, _c in rows), Decimal(0)), (currencies.pop() if len(currencies) == 1 else "")


def reversal_execute(payload: Payload, actor, *, request_id: int) -> Result:
    result = ledger.entry_reverse(entry_id=payload["entry_id"], idempotency_key=f"approval:{request_id}",
                                  actor=actor, reason=payload["reason"])
    return {"entry_id": result.entry_id, "reverses": payload["entry_id"], "replayed": result.replayed}


ACTIONS = [
    ActionType(code="ledger_adjustment", label="Manual ledger adjustment", validate=adjustment_validate,
               target=lambda p: f"adjustment:{digest(p)}", execute=adjustment_execute, amount=adjustment_amount,
               describe=lambda p: p["description"],
               defaults=policy(initiators=[FINANCE, OPERATIONS], checkers=[FINANCE, COMPLIANCE_OFFICER],
                               threshold="10000", currency="EUR", hours=48)),
    ActionType(code="reversal", label="Reversal of a journal entry", validate=reversal_validate,
               target=lambda p: f"entry:{p['entry_id']}", execute=reversal_execute, amount=reversal_amount,
               describe=lambda p: f"reverse entry {p['entry_id']}: {p['reason']}",
               defaults=policy(initiators=[FINANCE, OPERATIONS], checkers=[FINANCE, COMPLIANCE_OFFICER],
                               threshold="10000", currency="EUR", hours=48)),
]
