"""A new payment: what it would cost (``payment_preview``) and making it (``payment_create``).

Order inside the payment's transaction: idempotency look-up; the accounts the payment touches
are share-locked (a freeze or close waits, see ``accounts_lock_for_payment``) and their
lifecycle rules checked; a conversion is priced; the payment row is inserted (its unique
idempotency key makes a concurrent duplicate wait here and then replay); the fee policy and the
checks run, on the saved row (they write their own rows that refer to it); the ledger posts the
entry, or holds the whole debit when a check asks for review; the row is updated to where the
transaction took it and its first two history rows are written in one INSERT.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core_banking.accounts.exceptions import AccountNotFound
from core_banking.accounts.models import Account
from core_banking.accounts.services import accounts_lock_for_payment
from core_banking.audit.services import audit_record, to_jsonable
from core_banking.common.actors import user_or_none
from core_banking.common.idempotency import idempotency_scope_for, replayed, run_idempotent, unique_key
from core_banking.common.money import check_fits
from core_banking.customers.exceptions import CustomerNotActive
from core_banking.customers.models import Customer
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.services import business_date_open

from .. import exceptions as exc
from ..models import Payment
from ..seams import FeeCharge, PaymentIntent, Review, fee_policy, payment_checks
from .booking import description, history_first, payment_intent, post_entry, review_hold_sides, summary
from .fx import Conversion, conversion_price
from .request import DEBTOR_KINDS, Amount, PaymentRequest, payment_request


@dataclass(frozen=True)
class Preview:
    intent: PaymentIntent
    fees: list[FeeCharge]
    fee_total: Decimal
    total_debit: Decimal | None  # what leaves the payer's account (amount + fees), when a customer pays
    fx_rate: Decimal | None = None
    fx_mid_rate: Decimal | None = None
    target_amount: Decimal | None = None


def _request(request: PaymentRequest | None, fields: dict) -> PaymentRequest:
    """The request given, or the one its fields (keywords) make; not both."""
    if request is None:
        return payment_request(**fields)
    if any(value not in (None, "") for value in fields.values()):
        raise TypeError("pass a PaymentRequest or the request's fields as keywords, not both")
    return request


# --- preview ------------------------------------------------------------------------------


def payment_preview(
    request: PaymentRequest | None = None, /, *,
    kind: str = "", amount: Amount | None = None, currency: str = "", channel: str = "",
    debtor_account_id: int | None = None, creditor_account_id: int | None = None, creditor_iban: str = "",
    counterparty_iban: str = "", counterparty_name: str = "", counterparty_bic: str = "", remittance_info: str = "",
    end_to_end_id: str = "", target_currency: str = "", quote_id: str = "",
) -> Preview:
    """What the payment would cost, without writing anything or taking locks. Takes a
    ``PaymentRequest`` or its fields as keywords (see ``payment_request``)."""
    request = _request(request, dict(
        kind=kind, amount=amount, currency=currency, channel=channel, debtor_account_id=debtor_account_id,
        creditor_account_id=creditor_account_id, creditor_iban=creditor_iban, counterparty_iban=counterparty_iban,
        counterparty_name=counterparty_name, counterparty_bic=counterparty_bic, remittance_info=remittance_info,
        end_to_end_id=end_to_end_id, target_currency=target_currency, quote_id=quote_id))
    debtor, creditor = _accounts(request, lock=False)
    _check_accounts(request, debtor, creditor)
    conversion = conversion_price(request, use_quote=False) if request.kind == Payment.Kind.FX_CONVERSION else None
    payment = _new_payment(request, debtor, creditor, business_date=business_date_open(), conversion=conversion)
    intent = payment_intent(payment, saved=False)
    fees = _fees(intent, preview=True)
    total = sum((f.amount for f in fees), Decimal(0))
    total_debit = request.amount + total if request.kind in DEBTOR_KINDS else None
    return Preview(intent=intent, fees=fees, fee_total=total, total_debit=total_debit,
                   fx_rate=payment.fx_rate, fx_mid_rate=payment.fx_mid_rate, target_amount=payment.target_amount)


# --- create -------------------------------------------------------------------------------


def payment_create(
    request: PaymentRequest | None = None, /, *, idempotency_key: str, actor=None,
    kind: str = "", amount: Amount | None = None, currency: str = "", channel: str = "",
    debtor_account_id: int | None = None, creditor_account_id: int | None = None, creditor_iban: str = "",
    counterparty_iban: str = "", counterparty_name: str = "", counterparty_bic: str = "", remittance_info: str = "",
    end_to_end_id: str = "", target_currency: str = "", quote_id: str = "",
    render: Callable[[Payment], Any] | None = None,
) -> tuple[Any, bool]:
    """Create a payment and post it (or hold it for review). Returns (payment, replayed). Takes a
    ``PaymentRequest`` or its fields as keywords (see ``payment_request``).

    With ``render`` (the API's response body from the payment), returns (``render(payment)``,
    replayed) instead, rendered *inside* the payment's transaction: nothing is read after the
    commit, so a connection lost between the commit and the answer cannot turn a committed payment
    into an error response built from a failed read (the client's retry with the same key then
    replays it)."""
    if not idempotency_key:
        raise exc.InvalidPayment("a payment needs an idempotency key", field="idempotency_key")
    request = _request(request, dict(
        kind=kind, amount=amount, currency=currency, channel=channel, debtor_account_id=debtor_account_id,
        creditor_account_id=creditor_account_id, creditor_iban=creditor_iban, counterparty_iban=counterparty_iban,
        counterparty_name=counterparty_name, counterparty_bic=counterparty_bic, remittance_info=remittance_info,
        end_to_end_id=end_to_end_id, target_currency=target_currency, quote_id=quote_id))
    scope = idempotency_scope_for(actor)
    if render is None:
        return run_idempotent(lambda: _create(request, idempotency_key, scope, actor))

    def create_and_render() -> tuple[Any, bool]:
        payment, was_replayed = _create(request, idempotency_key, scope, actor)
        return render(payment), was_replayed

    return run_idempotent(create_and_render)


def _create(request: PaymentRequest, key: str, scope: str, actor) -> tuple[Payment, bool]:
    """Runs inside run_idempotent's transaction."""
    request_hash = request.fingerprint()
    existing = replayed(Payment.objects, scope=scope, key=key, request_hash=request_hash, what="payment")
    if existing is not None:
        return existing, True
    debtor, creditor = _accounts(request, lock=True)
    _check_accounts(request, debtor, creditor)
    conversion = conversion_price(request, use_quote=True) if request.kind == Payment.Kind.FX_CONVERSION else None
    payment = _new_payment(request, debtor, creditor, business_date=business_date_open(), conversion=conversion)
    payment.reference = _reference()
    payment.idempotency_scope, payment.idempotency_key, payment.request_hash = scope, key, request_hash
    payment.created_by = user_or_none(actor)
    with unique_key("payment_idempotency"):
        payment.save()
    intent = payment_intent(payment)
    fees = _fees(intent, preview=False)
    if fees:
        payment.fee_amount = sum((f.amount for f in fees), Decimal(0))
        payment.fee_currency_id = fees[0].currency
        payment.fees = [{"code": f.code, "amount": str(f.amount), "currency": f.currency,
                         "description": f.description, "details": to_jsonable(f.details)} for f in fees]
    reviews: list[Review] = []
    for check in payment_checks():
        outcome = check(intent)
        if outcome is not None:
            reviews.append(outcome)
    if reviews:
        _hold_for_review(payment, reviews, actor)
    else:
        _post(payment, actor)
    return payment, False


def _new_payment(request: PaymentRequest, debtor: Account | None, creditor: Account | None, *, business_date,
                 conversion: Conversion | None) -> Payment:
    """The payment row a request makes (not saved: a preview never saves it)."""
    return Payment(
        kind=request.kind, channel=request.channel, debtor_account=debtor, creditor_account=creditor,
        customer_id_debtor=debtor.customer_id if debtor else None,
        customer_id_creditor=creditor.customer_id if creditor else None, amount=request.amount,
        currency_id=request.currency, counterparty_iban=request.counterparty_iban,
        counterparty_name=request.counterparty_name, counterparty_bic=request.counterparty_bic,
        counterparty_country=request.counterparty_iban[:2], remittance_info=request.remittance_info,
        end_to_end_id=request.end_to_end_id, target_currency_id=request.target_currency or None,
        fx_quote=conversion.quote if conversion else None, fx_rate=conversion.rate if conversion else None,
        fx_mid_rate=conversion.mid_rate if conversion else None,
        target_amount=conversion.bought if conversion else None, business_date=business_date,
    )


def _reference() -> str:
    return "PAY" + secrets.token_hex(6).upper()


def _creditor_id(request: PaymentRequest) -> int | None:
    if request.creditor_account_id:
        return int(request.creditor_account_id)
    if request.creditor_iban:
        account_id = Account.objects.filter(iban=request.creditor_iban).values_list("pk", flat=True).first()
        if account_id is None:
            raise exc.InvalidPayment(f"no account of ours has IBAN {request.creditor_iban}", field="creditor_iban")
        return account_id
    return None


def _accounts(request: PaymentRequest, *, lock: bool) -> tuple[Account | None, Account | None]:
    debtor_id = int(request.debtor_account_id) if request.debtor_account_id else None
    creditor_id = _creditor_id(request)
    if debtor_id is not None and debtor_id == creditor_id:
        raise exc.InvalidPayment("the debtor and creditor accounts are the same account")
    ids = [i for i in (debtor_id, creditor_id) if i is not None]
    if lock:
        accounts = accounts_lock_for_payment(ids)
    else:
        accounts = {a.pk: a for a in Account.objects.filter(pk__in=ids)
                    .select_related("ledger_account", "customer", "product", "currency")}
        missing = [i for i in ids if i not in accounts]
        if missing:
            raise AccountNotFound(f"account {missing[0]} does not exist")
    return (accounts.get(debtor_id) if debtor_id else None, accounts.get(creditor_id) if creditor_id else None)


def _check_accounts(request: PaymentRequest, debtor: Account | None, creditor: Account | None) -> None:
    """Lifecycle and currency rules; the first refusal wins."""
    if debtor is not None:
        debtor.require_debitable()
        if debtor.customer.status != Customer.Status.ACTIVE:
            raise CustomerNotActive(f"customer {debtor.customer.number} is {debtor.customer.status}")
        if debtor.currency_id != request.currency:
            raise ledger_exc.CurrencyMismatch(
                f"the payment is in {request.currency} but account {debtor.iban} holds {debtor.currency_id}")
    if creditor is not None:
        creditor.require_creditable()
        if request.kind == Payment.Kind.FX_CONVERSION:
            if creditor.currency_id != request.target_currency:
                raise ledger_exc.CurrencyMismatch(
                    f"account {creditor.iban} holds {creditor.currency_id}, not {request.target_currency}")
            if creditor.currency_id == request.currency:
                raise ledger_exc.CurrencyMismatch("a conversion needs two different currencies")
            if debtor is not None and debtor.customer_id != creditor.customer_id:
                raise exc.InvalidPayment("a conversion moves money between one customer's own accounts")
        elif creditor.currency_id != request.currency:
            raise ledger_exc.CurrencyMismatch(
                f"the payment is in {request.currency} but account {creditor.iban} holds {creditor.currency_id}")


def _fees(intent: PaymentIntent, *, preview: bool) -> list[FeeCharge]:
    fees = [f for f in fee_policy()(intent, preview=preview) if f.amount != 0]
    account = intent.fee_account
    for fee in fees:
        if fee.amount < 0:
            raise exc.InvalidPayment(f"the fee policy returned a negative fee {fee.code}")
        if account is None or fee.currency != account.currency_id:
            raise exc.InvalidPayment(f"fee {fee.code} is in {fee.currency}, not in the charged account's currency")
        check_fits(fee.amount, account.currency.exponent, currency=fee.currency)
    return fees


def _post(payment: Payment, actor) -> None:
    entry = post_entry(payment, actor)
    payment.mark_posted(entry=entry, at=timezone.now())
    payment.save()
    history_first(payment, actor, "posted")
    audit_record(action="payment.posted", obj=payment, actor=actor, after=summary(payment))


def _hold_for_review(payment: Payment, reviews: list[Review], actor) -> None:
    debit, credit, amount = review_hold_sides(payment)
    hold, _ = ledger.hold_create(
        debit_account_id=debit, credit_account_id=credit, amount=amount,
        idempotency_key=f"payment-review:{payment.reference}", actor=actor, external_ref=payment.reference,
        description=f"Held for review: {description(payment)}"[:500], metadata={"payment": payment.reference},
    )
    reasons = [{"code": r.code, "reason": r.reason, "details": to_jsonable(r.details)} for r in reviews]
    payment.hold_for_review(hold=hold, reasons=reasons)
    payment.save()
    history_first(payment, actor, "; ".join(r.reason for r in reviews))
    audit_record(action="payment.held_for_review", obj=payment, actor=actor, after=summary(payment),
                 reason="; ".join(r.code for r in reviews))
