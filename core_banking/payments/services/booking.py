"""How a payment is booked, shared by its creation and its review: the journal entry's legs
(one place for every kind; an FX conversion's come from the ledger's ``fx_legs``), the entry
itself, the sides of the hold that reserves a payment under review, the status history rows,
the audit summary, and the ``PaymentIntent`` the seams see."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from core_banking.common.actors import user_or_none
from core_banking.common.history import record_transition
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import EntryKind, JournalEntry

from .. import selectors
from ..events import payment_events
from ..models import BookingAccount, Payment, PaymentStatusChange
from ..seams import PaymentIntent
from .fx import conversion_legs
from .request import KIND_EVENT


def payment_intent(payment: Payment, *, saved: bool = True) -> PaymentIntent:
    """What the seams see of ``payment``; ``saved=False`` for a preview (no row to refer to)."""
    return PaymentIntent(
        kind=payment.kind, event=KIND_EVENT[payment.kind], channel=payment.channel, amount=payment.amount,
        currency=payment.currency_id, business_date=payment.business_date, debtor=payment.debtor_account,
        creditor=payment.creditor_account, counterparty_iban=payment.counterparty_iban,
        counterparty_name=payment.counterparty_name, counterparty_country=payment.counterparty_country,
        target_amount=payment.target_amount, target_currency=payment.target_currency_id or "",
        payment=payment if saved else None,
    )


# --- legs ---------------------------------------------------------------------------------


def amount_sides(payment: Payment) -> tuple[int, int]:
    """(ledger account the amount leaves, ledger account it reaches) of a payment in one currency:
    our customer's account, or the settlement or cash booking account of the currency."""
    kind, currency = payment.kind, payment.currency_id
    cash, settlement = BookingAccount.Purpose.CASH, BookingAccount.Purpose.SETTLEMENT
    if payment.debtor_account_id:
        source = payment.debtor_account.ledger_account_id
    else:
        source = selectors.booking_account(cash if kind == Payment.Kind.CASH_DEPOSIT else settlement, currency).pk
    if payment.creditor_account_id:
        sink = payment.creditor_account.ledger_account_id
    else:
        sink = selectors.booking_account(cash if kind == Payment.Kind.CASH_WITHDRAWAL else settlement, currency).pk
    return source, sink


def legs(payment: Payment) -> list[Leg]:
    """The journal entry's postings (debit positive): the amount, its fees, netted per account."""
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    if payment.kind == Payment.Kind.FX_CONVERSION:
        for leg in conversion_legs(payment):
            sums[(leg.account_id, leg.currency)] += leg.amount
    else:
        source, sink = amount_sides(payment)
        sums[(source, payment.currency_id)] += payment.amount
        sums[(sink, payment.currency_id)] -= payment.amount
    if payment.fee_amount:
        fee_account = payment.fee_account.ledger_account_id
        fee_currency = payment.fee_currency_id
        sums[(fee_account, fee_currency)] += payment.fee_amount
        sums[(selectors.booking_account(BookingAccount.Purpose.FEE_INCOME, fee_currency).pk, fee_currency)] \
            -= payment.fee_amount
    return [Leg(account_id, value, currency) for (account_id, currency), value in sums.items() if value != 0]


def review_hold_sides(payment: Payment) -> tuple[int, int, Decimal]:
    """(debit ledger account, credit ledger account, amount) of the hold that reserves a payment
    under review: everything that will leave the paying account, or for money coming in, the
    amount it will receive."""
    entry_legs = legs(payment)
    currency = payment.currency_id
    if payment.debtor_account_id:
        debit = payment.debtor_account.ledger_account_id
        total = sum((leg.amount for leg in entry_legs if leg.account_id == debit), Decimal(0))
        credit = next(leg.account_id for leg in entry_legs if leg.amount < 0 and leg.currency == currency
                      and leg.account_id != debit)
        return debit, credit, total
    credit = payment.creditor_account.ledger_account_id
    debit = next(leg.account_id for leg in entry_legs if leg.amount > 0 and leg.account_id != credit)
    return debit, credit, payment.amount


# --- the entry ----------------------------------------------------------------------------


def description(payment: Payment) -> str:
    text = payment.get_kind_display()
    if payment.counterparty_name:
        text += f" {'to' if payment.kind == Payment.Kind.OUTGOING else 'from'} {payment.counterparty_name}"
    if payment.remittance_info:
        text += f": {payment.remittance_info}"
    return text[:500]


def post_entry(payment: Payment, actor) -> JournalEntry:
    """Post the payment's one journal entry (amount and fees), keyed ``payment:<reference>``."""
    metadata: dict[str, Any] = {"payment": payment.reference, "payment_kind": payment.kind}
    if payment.kind == Payment.Kind.FX_CONVERSION:
        metadata["fx"] = {"pair": f"{payment.currency_id}/{payment.target_currency_id}",
                          "rate": str(payment.fx_rate), "mid_rate": str(payment.fx_mid_rate),
                          "sell": str(payment.amount), "buy": str(payment.target_amount),
                          "quote": payment.fx_quote_id or ""}
    if payment.fee_amount:
        metadata["fee"] = {"amount": str(payment.fee_amount), "currency": payment.fee_currency_id}
    return ledger.entry_post(
        postings=legs(payment), idempotency_key=f"payment:{payment.reference}", actor=actor,
        kind=EntryKind.FX if payment.kind == Payment.Kind.FX_CONVERSION else EntryKind.TRANSFER,
        external_ref=payment.end_to_end_id or payment.reference, description=description(payment),
        metadata=metadata,
    ).entry


# --- history and audit --------------------------------------------------------------------


def history(payment: Payment, before: str, actor, reason: str = "") -> None:
    """The history row of ``payment``'s transition from ``before`` (captured when it was locked)."""
    record_transition(PaymentStatusChange, payment, from_status=before, reason=reason[:500],
                      actor=user_or_none(actor))
    payment_events(payment, [(f"payment.{payment.status}", before, reason)])


def history_first(payment: Payment, actor, reason: str) -> None:
    """A new payment's first two steps in one INSERT: created (initiated), then where its
    transaction took it (posted, or pending review)."""
    user = user_or_none(actor)
    PaymentStatusChange.objects.bulk_create([
        PaymentStatusChange(payment=payment, from_status="", to_status=Payment.Status.INITIATED,
                            reason="initiated", actor=user),
        PaymentStatusChange(payment=payment, from_status=Payment.Status.INITIATED, to_status=payment.status,
                            reason=reason[:500], actor=user),
    ])
    payment_events(payment, [("payment.created", "", "initiated"),
                             (f"payment.{payment.status}", Payment.Status.INITIATED, reason)])


def summary(payment: Payment) -> dict[str, Any]:
    """What the audit trail records of a payment after each step."""
    return {"reference": payment.reference, "kind": payment.kind, "status": payment.status,
            "amount": str(payment.amount), "currency": payment.currency_id, "fee": str(payment.fee_amount),
            "entry": payment.entry_id, "hold": payment.hold_id}
