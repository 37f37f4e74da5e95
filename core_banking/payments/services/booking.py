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
from core_banking.common.sqlbatch import Batch
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import EntryKind, JournalEntry

from .. import selectors
from ..events import payment_events
from ..exceptions import NoBookingAccount
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


Booking = dict[tuple[str, str], int]  # (purpose, currency) -> ledger account id, read ahead by the caller


def booking_account_id(purpose: str, currency: str, booking: Booking | None = None) -> int:
    """The ledger account of the bank's booking account for ``purpose`` in ``currency``: from
    ``booking`` when the caller read them ahead (``create``'s first round trip), else a query."""
    if booking is None:
        return selectors.booking_account(purpose, currency).pk
    account_id = booking.get((purpose, currency))
    if account_id is None:
        raise NoBookingAccount(f"no {purpose} booking account in {currency}", purpose=purpose, currency=currency)
    return account_id


def amount_sides(payment: Payment, booking: Booking | None = None) -> tuple[int, int]:
    """(ledger account the amount leaves, ledger account it reaches) of a payment in one currency:
    our customer's account, or the settlement or cash booking account of the currency."""
    kind, currency = payment.kind, payment.currency_id
    cash, settlement = BookingAccount.Purpose.CASH, BookingAccount.Purpose.SETTLEMENT
    if payment.debtor_account_id:
        source = payment.debtor_account.ledger_account_id
    else:
        source = booking_account_id(cash if kind == Payment.Kind.CASH_DEPOSIT else settlement, currency, booking)
    if payment.creditor_account_id:
        sink = payment.creditor_account.ledger_account_id
    else:
        sink = booking_account_id(cash if kind == Payment.Kind.CASH_WITHDRAWAL else settlement, currency, booking)
    return source, sink


def legs(payment: Payment, booking: Booking | None = None) -> list[Leg]:
    """The journal entry's postings (debit positive): the amount, its fees, netted per account."""
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    if payment.kind == Payment.Kind.FX_CONVERSION:
        for leg in conversion_legs(payment):
            sums[(leg.account_id, leg.currency)] += leg.amount
    else:
        source, sink = amount_sides(payment, booking)
        sums[(source, payment.currency_id)] += payment.amount
        sums[(sink, payment.currency_id)] -= payment.amount
    if payment.fee_amount:
        fee_account = payment.fee_account.ledger_account_id
        fee_currency = payment.fee_currency_id
        sums[(fee_account, fee_currency)] += payment.fee_amount
        sums[(booking_account_id(BookingAccount.Purpose.FEE_INCOME, fee_currency, booking), fee_currency)] \
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


def entry_fields(payment: Payment) -> dict[str, Any]:
    """The journal entry of ``payment`` but its postings: key ``payment:<reference>``, kind,
    references, description and metadata (amount and fees)."""
    metadata: dict[str, Any] = {"payment": payment.reference, "payment_kind": payment.kind}
    if payment.kind == Payment.Kind.FX_CONVERSION:
        metadata["fx"] = {"pair": f"{payment.currency_id}/{payment.target_currency_id}",
                          "rate": str(payment.fx_rate), "mid_rate": str(payment.fx_mid_rate),
                          "sell": str(payment.amount), "buy": str(payment.target_amount),
                          "quote": payment.fx_quote_id or ""}
    if payment.fee_amount:
        metadata["fee"] = {"amount": str(payment.fee_amount), "currency": payment.fee_currency_id}
    return {"idempotency_key": entry_key(payment),
            "kind": EntryKind.FX if payment.kind == Payment.Kind.FX_CONVERSION else EntryKind.TRANSFER,
            "external_ref": payment.end_to_end_id or payment.reference, "description": description(payment),
            "metadata": metadata}


def entry_key(payment: Payment) -> str:
    return f"payment:{payment.reference}"


def post_entry(payment: Payment, actor) -> JournalEntry:
    """Post the payment's one journal entry (amount and fees), keyed ``payment:<reference>``."""
    return ledger.entry_post(postings=legs(payment), actor=actor, **entry_fields(payment)).entry


# --- history and audit --------------------------------------------------------------------


def history(payment: Payment, before: str, actor, reason: str = "") -> None:
    """The history row of ``payment``'s transition from ``before`` (captured when it was locked)."""
    record_transition(PaymentStatusChange, payment, from_status=before, reason=reason[:500],
                      actor=user_or_none(actor))
    payment_events(payment, [(f"payment.{payment.status}", before, reason)])


def history_first(payment: Payment, actor, reason: str, *, batch: Batch | None = None) -> None:
    """A new payment's first two steps in one INSERT: created (initiated), then where its
    transaction took it (posted, or pending review); and their events in another. With
    ``batch``, both INSERTs are added to it instead of run."""
    user = user_or_none(actor)
    rows = [
        PaymentStatusChange(payment=payment, from_status="", to_status=Payment.Status.INITIATED,
                            reason="initiated", actor=user),
        PaymentStatusChange(payment=payment, from_status=Payment.Status.INITIATED, to_status=payment.status,
                            reason=reason[:500], actor=user),
    ]
    if batch is None:
        PaymentStatusChange.objects.bulk_create(rows)
    else:
        batch.insert(rows)
    # what payment.status_changes.all() reads, as a prefetch leaves it (the API renders the new
    # payment from memory; anything narrower, such as .order_by(), queries as usual)
    history_rows = payment.status_changes.get_queryset()
    history_rows._result_cache, history_rows._prefetch_done = rows, True
    payment._prefetched_objects_cache = {**getattr(payment, "_prefetched_objects_cache", {}),
                                         "status_changes": history_rows}
    payment_events(payment, [("payment.created", "", "initiated"),
                             (f"payment.{payment.status}", Payment.Status.INITIATED, reason)], batch=batch)


def summary(payment: Payment) -> dict[str, Any]:
    """What the audit trail records of a payment after each step."""
    return {"reference": payment.reference, "kind": payment.kind, "status": payment.status,
            "amount": str(payment.amount), "currency": payment.currency_id, "fee": str(payment.fee_amount),
            "entry": payment.entry_id, "hold": payment.hold_id}
