"""Maker-checker actions of settlement (``core_banking/settlement``), each executed by the
settlement service that owns it:

* ``settlement_batch_cancel``: cancel a batch before it is sent (its payments go into the next
  batch to close) — ``services.batch_cancel``;
* ``settlement_suspense_book``: book an incoming credit held in suspense to the account staff
  identified — ``services.suspense_book``;
* ``settlement_suspense_return``: send it back to its sender in the next batch —
  ``services.suspense_return``.

Their action types, labels and refusals are the settlement transition tables'
(``core_banking/settlement/transitions.py``).
"""

from __future__ import annotations

from decimal import Decimal

from django_fsm import can_proceed

from backoffice.staff.roles import COMPLIANCE_OFFICER, FINANCE, OPERATIONS
from core_banking.accounts.models import Account
from core_banking.settlement import services
from core_banking.settlement.models import Batch, SuspenseItem
from core_banking.settlement.transitions import BOOK, CANCEL_BATCH, START_RETURN, SettlementTransition

from ..action_type import ActionType, Payload, Result, bad, integer, only, policy, text


def _batch(payload: Payload) -> Payload:
    only(payload, {"batch_id", "reason"})
    batch_id = integer(payload, "batch_id")
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise bad(f"settlement batch {batch_id} does not exist", "batch_id")
    if not can_proceed(batch.cancel):
        raise bad(f"settlement batch {batch_id} is {batch.status}: {CANCEL_BATCH.refused}", "batch_id")
    return {"batch_id": batch_id, "reason": text(payload, "reason", required=True)}


def _cancel(payload: Payload, actor, *, request_id: int) -> Result:
    batch = services.batch_cancel(batch_id=payload["batch_id"], actor=actor, reason=payload["reason"])
    return {"batch_id": batch.pk, "status": batch.status}


def _suspense(payload: Payload, fields: set[str], spec: SettlementTransition) -> tuple[Payload, SuspenseItem]:
    only(payload, fields)
    item_id = integer(payload, "item_id")
    item = SuspenseItem.objects.filter(pk=item_id).first()
    if item is None:
        raise bad(f"suspense item {item_id} does not exist", "item_id")
    if not can_proceed(getattr(item, spec.name)):
        raise bad(f"suspense item {item_id} is {item.status}, {spec.refused}", "item_id")
    return {"item_id": item_id, "reason": text(payload, "reason", required=True)}, item


def _book_validate(payload: Payload) -> Payload:
    clean, item = _suspense(payload, {"item_id", "account_id", "reason"}, BOOK)
    account_id = integer(payload, "account_id")
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise bad(f"account {account_id} does not exist", "account_id")
    if account.currency_id != item.currency_id:
        raise bad(f"account {account.iban} holds {account.currency_id}, the credit is in {item.currency_id}",
                  "account_id")
    return {**clean, "account_id": account_id}


def _return_validate(payload: Payload) -> Payload:
    clean, item = _suspense(payload, {"item_id", "reason"}, START_RETURN)
    if not item.debtor_iban:
        raise bad(f"suspense item {item.pk} has no sender IBAN to return it to", "item_id")
    return clean


def _amount(payload: Payload) -> tuple[Decimal | None, str]:
    row = SuspenseItem.objects.filter(pk=payload["item_id"]).values_list("amount", "currency_id").first()
    return row if row else (None, "")


def _book(payload: Payload, actor, *, request_id: int) -> Result:
    item = services.suspense_book(item_id=payload["item_id"], account_id=payload["account_id"], actor=actor,
                                  reason=payload["reason"])
    return {"item_id": item.pk, "status": item.status, "payment_id": item.payment_id}


def _return(payload: Payload, actor, *, request_id: int) -> Result:
    item = services.suspense_return(item_id=payload["item_id"], actor=actor, reason=payload["reason"])
    return {"item_id": item.pk, "status": item.status}


_CHECKERS = [OPERATIONS, FINANCE, COMPLIANCE_OFFICER]

ACTIONS = [
    ActionType(code=CANCEL_BATCH.action_type, label=CANCEL_BATCH.approval_label,
               validate=_batch, target=lambda p: f"settlement_batch:{p['batch_id']}", execute=_cancel,
               describe=lambda p: f"cancel settlement batch {p['batch_id']}: {p['reason']}",
               defaults=policy(initiators=[OPERATIONS], checkers=_CHECKERS, hours=24)),
    ActionType(code=BOOK.action_type, label=BOOK.approval_label,
               validate=_book_validate, target=lambda p: f"suspense_item:{p['item_id']}", execute=_book,
               amount=_amount,
               describe=lambda p: f"book suspense item {p['item_id']} to account {p['account_id']}: {p['reason']}",
               defaults=policy(initiators=[OPERATIONS], checkers=_CHECKERS, hours=72)),
    ActionType(code=START_RETURN.action_type, label=START_RETURN.approval_label,
               validate=_return_validate, target=lambda p: f"suspense_item:{p['item_id']}", execute=_return,
               amount=_amount, describe=lambda p: f"return suspense item {p['item_id']}: {p['reason']}",
               defaults=policy(initiators=[OPERATIONS], checkers=_CHECKERS, hours=72)),
]
