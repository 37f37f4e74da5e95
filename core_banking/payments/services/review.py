"""A payment after its creation: a reviewer releases or rejects one held for review; an
external payment is returned. Each is one transaction on the locked payment row. Their
permissions, refusals, default reason and audit actions are the transition table's
(``core_banking/payments/transitions.py``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core_banking.accounts.models import Account
from core_banking.accounts.services import accounts_lock_for_payment
from core_banking.audit.services import audit_record
from core_banking.common.errors import PermissionRefused
from core_banking.common.maker_checker import Deferred, guarded
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg

from .. import exceptions as exc
from ..models import Payment
from ..seams import give_back
from ..transitions import REJECT, RELEASE, RETURN
from .booking import amount_sides, history, payment_intent, post_entry, summary
from .request import EXTERNAL_KINDS


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionRefused(f"you need the {permission} permission")


def _locked(payment_id: int) -> Payment:
    payment = (Payment.objects.select_for_update(of=("self",))
               .select_related("debtor_account", "creditor_account").filter(pk=payment_id).first())
    if payment is None:
        raise exc.PaymentNotFound(f"payment {payment_id} does not exist")
    return payment


@transaction.atomic
def payment_release(*, payment_id: int, actor=None, reason: str = "") -> Payment | Deferred:
    """A reviewer lets a held payment through: the hold is voided and the payment posts, in one
    transaction; the accounts' lifecycle rules are checked again (a frozen account stays frozen).
    Passes the maker-checker gate: a payment at or above its policy's exemption (by default
    50,000 EUR) returns the ``Deferred`` approval request unless an approved one is executing."""
    _require(actor, RELEASE.permission)
    return guarded(RELEASE.action_type, payload={"payment_id": payment_id, "reason": reason}, actor=actor,
                   reason=reason, execute=lambda: _payment_release(payment_id=payment_id, actor=actor, reason=reason))


def _payment_release(*, payment_id: int, actor, reason: str) -> Payment:
    payment = _locked(payment_id)
    before = payment.status
    if before != Payment.Status.PENDING_REVIEW:
        raise exc.PaymentStateRefused(f"payment {payment.reference} is {payment.status}, {RELEASE.refused}")
    ids = [i for i in (payment.debtor_account_id, payment.creditor_account_id) if i]
    accounts = accounts_lock_for_payment(ids)
    if payment.debtor_account_id:
        accounts[payment.debtor_account_id].require_debitable()
    if payment.creditor_account_id:
        accounts[payment.creditor_account_id].require_creditable()
    ledger.hold_void(hold_id=payment.hold_id, actor=actor, reason=f"payment {payment.reference} released")
    entry = post_entry(payment, actor)
    payment.release(entry=entry, at=timezone.now())
    payment.save()
    history(payment, before, actor, reason or RELEASE.default_reason)
    audit_record(action=RELEASE.audit_action, obj=payment, actor=actor, after=summary(payment), reason=reason)
    return payment


@transaction.atomic
def payment_reject(*, payment_id: int, actor=None, reason: str) -> Payment:
    """A reviewer refuses a held payment: the hold is voided and nothing posts."""
    _require(actor, REJECT.permission)
    if REJECT.reason_required and not reason.strip():
        raise exc.InvalidPayment(REJECT.reason_refusal, field="reason")
    payment = _locked(payment_id)
    before = payment.status
    if before != Payment.Status.PENDING_REVIEW:
        raise exc.PaymentStateRefused(f"payment {payment.reference} is {payment.status}, {REJECT.refused}")
    ledger.hold_void(hold_id=payment.hold_id, actor=actor, reason=f"payment {payment.reference} rejected")
    payment.reject(reason=reason)
    payment.save()
    history(payment, before, actor, reason)
    give_back(payment=payment, intent=payment_intent(payment))
    audit_record(action=REJECT.audit_action, obj=payment, actor=actor, after=summary(payment), reason=reason)
    return payment


@transaction.atomic
def payment_return(*, payment_id: int, actor=None, reason: str, settlement_rejection: bool = False) -> Payment:
    """An external payment comes back (outgoing, returned by the beneficiary's bank or rejected
    in a settlement status report while ``sent``) or is sent back (incoming): the amount moves
    back through settlement; fees are not refunded."""
    _require(actor, RETURN.permission)
    if RETURN.reason_required and not reason.strip():
        raise exc.InvalidPayment(RETURN.reason_refusal, field="reason")
    payment = _locked(payment_id)
    if payment.kind not in EXTERNAL_KINDS:
        raise exc.PaymentStateRefused(f"only external payments can be returned, not a {payment.kind}")
    before = payment.status
    # An outgoing payment in a settlement file (sent) comes back only when the scheme rejects it
    # (``core_banking/settlement``): a person cannot return money that is on its way out.
    allowed = (Payment.Status.POSTED, Payment.Status.SENT) if settlement_rejection else (Payment.Status.POSTED,)
    if before not in allowed:
        raise exc.PaymentStateRefused(f"payment {payment.reference} is {payment.status}, {RETURN.refused}")
    source, sink = amount_sides(payment)  # our customer's account and the settlement account
    account = payment.debtor_account if payment.kind == Payment.Kind.OUTGOING else payment.creditor_account
    accounts_lock_for_payment([account.pk])
    account.refresh_from_db(fields=["status"])
    if payment.kind == Payment.Kind.OUTGOING:
        if account.status == Account.Status.CLOSED:
            raise exc.PaymentStateRefused(f"account {account.iban} is closed; the return must be handled by hand")
    else:
        account.require_debitable()
    entry = ledger.entry_post(
        postings=[Leg(sink, payment.amount), Leg(source, -payment.amount)],  # the amount's way back
        idempotency_key=f"payment-return:{payment.reference}", actor=actor,
        external_ref=payment.end_to_end_id or payment.reference,
        description=f"Return of {payment.reference}: {reason}"[:500],
        metadata={"payment": payment.reference, "return_of": payment.entry_id},
    ).entry
    payment.mark_returned(entry=entry, reason=reason)
    payment.save()
    history(payment, before, actor, reason)
    give_back(payment=payment, intent=payment_intent(payment))
    audit_record(action=RETURN.audit_action, obj=payment, actor=actor, after=summary(payment), reason=reason)
    return payment
