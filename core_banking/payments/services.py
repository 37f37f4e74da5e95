"""Payment writes: create (post or hold for review), release, reject, return; FX quotes and rates.

One payment is one database transaction that writes the payment row, its status history, the
fee policy's and the checks' own rows (usage counters) and exactly one journal entry carrying
the amount and its fees, or, when a check asks for review, a ledger hold for the whole debit.
Any refusal rolls all of it back: nothing is half-written.

Order inside the transaction: idempotency look-up; the accounts the payment touches are
share-locked (a freeze or close waits, see ``accounts_lock_for_payment``) and their lifecycle
rules checked; the payment row is inserted (its unique idempotency key makes a concurrent
duplicate wait here and then replay); the fee policy and the checks run; the ledger posts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core_banking.accounts.models import Account
from core_banking.accounts.services import accounts_lock_for_payment, iban_validate
from core_banking.audit.services import audit_record, to_jsonable
from core_banking.common.actors import user_or_none
from core_banking.common.errors import PermissionRefused
from core_banking.common.history import record_transition
from core_banking.common.maker_checker import Deferred, guarded
from core_banking.common.money import check_fits, quantize, to_decimal
from core_banking.customers.exceptions import CustomerNotActive
from core_banking.customers.models import Customer
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.hashing import digest
from core_banking.ledger.models import Currency, EntryKind
from core_banking.ledger.services import business_date_open, fx_position_account, idempotency_scope_for

from . import exceptions as exc
from . import selectors
from .models import BookingAccount, Channel, FeeEvent, FxQuote, FxRate, Payment, PaymentStatusChange
from .seams import FeeCharge, PaymentIntent, Review, fee_policy, give_back, payment_checks

KIND_EVENT = {
    Payment.Kind.INTERNAL_TRANSFER: FeeEvent.INTERNAL_TRANSFER,
    Payment.Kind.OUTGOING: FeeEvent.OUTGOING_PAYMENT,
    Payment.Kind.INCOMING: FeeEvent.INCOMING_PAYMENT,
    Payment.Kind.CASH_DEPOSIT: FeeEvent.CASH_DEPOSIT,
    Payment.Kind.CASH_WITHDRAWAL: FeeEvent.CASH_WITHDRAWAL,
    Payment.Kind.FX_CONVERSION: FeeEvent.FX_CONVERSION,
}
DEBTOR_KINDS = {Payment.Kind.INTERNAL_TRANSFER, Payment.Kind.OUTGOING, Payment.Kind.CASH_WITHDRAWAL,
                Payment.Kind.FX_CONVERSION}
CREDITOR_KINDS = {Payment.Kind.INTERNAL_TRANSFER, Payment.Kind.INCOMING, Payment.Kind.CASH_DEPOSIT,
                  Payment.Kind.FX_CONVERSION}
EXTERNAL_KINDS = {Payment.Kind.OUTGOING, Payment.Kind.INCOMING}


@dataclass(frozen=True)
class PaymentRequest:
    """A validated request, the same shape for create and preview."""

    kind: str
    amount: Decimal
    currency: str
    channel: str = Channel.API
    debtor_account_id: int | None = None
    creditor_account_id: int | None = None
    creditor_iban: str = ""
    counterparty_iban: str = ""
    counterparty_name: str = ""
    counterparty_bic: str = ""
    remittance_info: str = ""
    end_to_end_id: str = ""
    target_currency: str = ""
    quote_id: str = ""

    def fingerprint(self) -> str:
        return digest({k: to_jsonable(v) for k, v in dataclasses.asdict(self).items()})


@dataclass(frozen=True)
class Preview:
    intent: PaymentIntent
    fees: list[FeeCharge]
    fee_total: Decimal
    total_debit: Decimal | None  # what leaves the payer's account (amount + fees), when a customer pays
    fx_rate: Decimal | None = None
    fx_mid_rate: Decimal | None = None
    target_amount: Decimal | None = None


class _DuplicateInsert(Exception):
    """A concurrent request with the same idempotency key inserted first; retry to replay it."""


# --- request validation -------------------------------------------------------------------


def payment_request(**fields: Any) -> PaymentRequest:
    """Build and check a request; raises ``invalid_payment`` / ``invalid_amount`` / ``invalid_iban``."""
    kind = fields.get("kind")
    if kind not in Payment.Kind.values:
        raise exc.InvalidPayment(f"unknown payment kind {kind!r}", field="kind")
    channel = fields.get("channel") or Channel.API
    if channel not in Channel.values:
        raise exc.InvalidPayment(f"unknown channel {channel!r}", field="channel")
    currency = Currency.objects.filter(code=fields.get("currency") or "", is_active=True).first()
    if currency is None:
        raise ledger_exc.CurrencyMismatch(f"unknown or inactive currency {fields.get('currency')!r}")
    amount = check_fits(to_decimal(fields.get("amount")), currency.exponent, currency=currency.code)
    if amount <= 0:
        raise ledger_exc.InvalidAmount("a payment amount must be positive")
    fields = {**fields, "kind": kind, "channel": channel, "amount": amount, "currency": currency.code}
    for name in ("creditor_iban", "counterparty_iban", "counterparty_name", "counterparty_bic", "remittance_info",
                 "end_to_end_id", "target_currency", "quote_id"):
        fields[name] = (fields.get(name) or "").strip()
    if fields["counterparty_iban"]:
        fields["counterparty_iban"] = str(iban_validate(fields["counterparty_iban"]))
    if fields["creditor_iban"]:
        fields["creditor_iban"] = str(iban_validate(fields["creditor_iban"]))
    if kind in DEBTOR_KINDS and not fields.get("debtor_account_id"):
        raise exc.InvalidPayment(f"a {kind} payment needs the debtor account", field="debtor_account_id")
    if kind not in DEBTOR_KINDS and fields.get("debtor_account_id"):
        raise exc.InvalidPayment(f"a {kind} payment has no debtor account of ours", field="debtor_account_id")
    if kind in CREDITOR_KINDS and not (fields.get("creditor_account_id") or fields["creditor_iban"]):
        raise exc.InvalidPayment(f"a {kind} payment needs the creditor account (id or IBAN)",
                                 field="creditor_account_id")
    if kind not in CREDITOR_KINDS and (fields.get("creditor_account_id") or fields["creditor_iban"]):
        raise exc.InvalidPayment(f"a {kind} payment has no creditor account of ours; name the counterparty",
                                 field="creditor_account_id")
    if kind == Payment.Kind.OUTGOING:
        if not fields["counterparty_iban"]:
            raise exc.InvalidPayment("an outgoing payment needs the beneficiary's IBAN", field="counterparty_iban")
        if not fields["counterparty_name"]:
            raise exc.InvalidPayment("an outgoing payment needs the beneficiary's name", field="counterparty_name")
    if kind == Payment.Kind.FX_CONVERSION:
        if not fields["target_currency"]:
            raise exc.InvalidPayment("a conversion needs the currency to buy", field="target_currency")
    elif fields["target_currency"] or fields["quote_id"]:
        raise exc.InvalidPayment("only a conversion has a target currency or a quote", field="target_currency")
    if len(fields["remittance_info"]) > 140:
        raise exc.InvalidPayment("the remittance information is limited to 140 characters", field="remittance_info")
    allowed = {f.name for f in dataclasses.fields(PaymentRequest)}
    unknown = set(fields) - allowed
    if unknown:
        raise exc.InvalidPayment(f"unknown fields: {', '.join(sorted(unknown))}")
    return PaymentRequest(**fields)


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
            from core_banking.accounts.exceptions import AccountNotFound

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


def _fx(request: PaymentRequest, *, use_quote: bool) -> tuple[Decimal, Decimal, Decimal, FxQuote | None]:
    """(customer rate, mid rate, amount bought, quote) for a conversion."""
    target = Currency.objects.get(code=request.target_currency)
    if request.quote_id and use_quote:
        quote = FxQuote.objects.select_for_update().filter(pk=request.quote_id).first()
        if quote is None:
            raise exc.QuoteNotFound(f"FX quote {request.quote_id!r} does not exist")
        if quote.expires_at <= timezone.now():
            raise exc.QuoteExpired(f"FX quote {quote.pk} expired at {quote.expires_at.isoformat()}")
        if (quote.sell_currency_id, quote.buy_currency_id, quote.sell_amount) != (
                request.currency, request.target_currency, request.amount):
            raise exc.QuoteMismatch(f"quote {quote.pk} sells {quote.sell_amount} {quote.sell_currency_id} "
                                    f"for {quote.buy_currency_id}")
        if Payment.objects.filter(fx_quote=quote).exists():
            raise exc.QuoteMismatch(f"quote {quote.pk} has already been used")
        return quote.rate, quote.mid_rate, quote.buy_amount, quote
    rate = selectors.fx_rate(base=request.currency, quote=request.target_currency)
    bought = quantize(request.amount * rate.customer, target.exponent)
    if bought <= 0:
        raise ledger_exc.InvalidAmount("the converted amount rounds to zero")
    return rate.customer, rate.mid, bought, None


def _intent(request: PaymentRequest, debtor, creditor, *, business_date, target_amount=None,
            payment: Payment | None = None) -> PaymentIntent:
    country = request.counterparty_iban[:2] if request.counterparty_iban else ""
    return PaymentIntent(
        kind=request.kind, event=KIND_EVENT[request.kind], channel=request.channel, amount=request.amount,
        currency=request.currency, business_date=business_date, debtor=debtor, creditor=creditor,
        counterparty_iban=request.counterparty_iban, counterparty_name=request.counterparty_name,
        counterparty_country=country, target_amount=target_amount, target_currency=request.target_currency,
        payment=payment,
    )


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


# --- preview ------------------------------------------------------------------------------


def payment_preview(**fields: Any) -> Preview:
    """What the payment would cost, without writing anything or taking locks."""
    request = payment_request(**fields)
    debtor, creditor = _accounts(request, lock=False)
    _check_accounts(request, debtor, creditor)
    rate = mid = target_amount = None
    if request.kind == Payment.Kind.FX_CONVERSION:
        rate, mid, target_amount, _ = _fx(request, use_quote=False)
    intent = _intent(request, debtor, creditor, business_date=business_date_open(), target_amount=target_amount)
    fees = _fees(intent, preview=True)
    total = sum((f.amount for f in fees), Decimal(0))
    total_debit = request.amount + total if request.kind in DEBTOR_KINDS else None
    return Preview(intent=intent, fees=fees, fee_total=total, total_debit=total_debit, fx_rate=rate,
                   fx_mid_rate=mid, target_amount=target_amount)


# --- create -------------------------------------------------------------------------------


def payment_create(*, idempotency_key: str, actor=None, **fields: Any) -> tuple[Payment, bool]:
    """Create a payment and post it (or hold it for review). Returns (payment, replayed)."""
    if not idempotency_key:
        raise exc.InvalidPayment("a payment needs an idempotency key", field="idempotency_key")
    request = payment_request(**fields)
    scope = idempotency_scope_for(actor)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _create(request, idempotency_key, scope, actor)
        except _DuplicateInsert:
            continue
    raise ledger_exc.IdempotencyConflict("the request kept racing with a concurrent retry; try again")


def _replay(scope: str, key: str, request: PaymentRequest) -> Payment | None:
    existing = Payment.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
    if existing is not None and existing.request_hash != request.fingerprint():
        raise ledger_exc.IdempotencyConflict(f"idempotency key {key!r} was used for a different payment")
    return existing


def _create(request: PaymentRequest, key: str, scope: str, actor) -> tuple[Payment, bool]:
    existing = _replay(scope, key, request)
    if existing is not None:
        return existing, True
    debtor, creditor = _accounts(request, lock=True)
    _check_accounts(request, debtor, creditor)
    rate = mid = target_amount = quote = None
    if request.kind == Payment.Kind.FX_CONVERSION:
        rate, mid, target_amount, quote = _fx(request, use_quote=True)
    business_date = business_date_open()
    payment = Payment(
        reference=_reference(), kind=request.kind, channel=request.channel, debtor_account=debtor,
        creditor_account=creditor, customer_id_debtor=debtor.customer_id if debtor else None,
        customer_id_creditor=creditor.customer_id if creditor else None, amount=request.amount,
        currency_id=request.currency, counterparty_iban=request.counterparty_iban,
        counterparty_name=request.counterparty_name, counterparty_bic=request.counterparty_bic,
        counterparty_country=request.counterparty_iban[:2], remittance_info=request.remittance_info,
        end_to_end_id=request.end_to_end_id, fx_quote=quote, fx_rate=rate, fx_mid_rate=mid,
        target_amount=target_amount, target_currency_id=request.target_currency or None,
        business_date=business_date, idempotency_scope=scope, idempotency_key=key,
        request_hash=request.fingerprint(), created_by=user_or_none(actor),
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError as error:
        if "payment_idempotency" in str(error):
            raise _DuplicateInsert from error
        raise
    intent = _intent(request, debtor, creditor, business_date=business_date, target_amount=target_amount,
                     payment=payment)
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


def _reference() -> str:
    return "PAY" + secrets.token_hex(6).upper()



def _history(payment: Payment, before: str, actor, reason: str = "") -> None:
    """The history row of ``payment``'s transition from ``before`` (captured when it was locked)."""
    record_transition(PaymentStatusChange, payment, from_status=before, reason=reason[:500],
                      actor=user_or_none(actor))


def _history_first(payment: Payment, actor, reason: str) -> None:
    """A new payment's first two steps in one INSERT: created (initiated), then where its
    transaction took it (posted, or pending review)."""
    user = user_or_none(actor)
    PaymentStatusChange.objects.bulk_create([
        PaymentStatusChange(payment=payment, from_status="", to_status=Payment.Status.INITIATED,
                            reason="initiated", actor=user),
        PaymentStatusChange(payment=payment, from_status=Payment.Status.INITIATED, to_status=payment.status,
                            reason=reason[:500], actor=user),
    ])


# --- legs ---------------------------------------------------------------------------------


def _legs(payment: Payment) -> list[Leg]:
    """The journal entry's postings (debit positive): the amount, its fees, netted per account."""
    amount, currency = payment.amount, payment.currency_id
    debtor = payment.debtor_account.ledger_account_id if payment.debtor_account_id else None
    creditor = payment.creditor_account.ledger_account_id if payment.creditor_account_id else None
    kind = payment.kind
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    if kind == Payment.Kind.FX_CONVERSION:
        sums[(debtor, currency)] += amount
        sums[(fx_position_account(currency).pk, currency)] -= amount
        target = payment.target_currency_id
        sums[(fx_position_account(target).pk, target)] += payment.target_amount
        sums[(creditor, target)] -= payment.target_amount
    else:
        source = debtor if debtor is not None else selectors.booking_account(
            BookingAccount.Purpose.CASH if kind == Payment.Kind.CASH_DEPOSIT else BookingAccount.Purpose.SETTLEMENT,
            currency).pk
        sink = creditor if creditor is not None else selectors.booking_account(
            BookingAccount.Purpose.CASH if kind == Payment.Kind.CASH_WITHDRAWAL else BookingAccount.Purpose.SETTLEMENT,
            currency).pk
        sums[(source, currency)] += amount
        sums[(sink, currency)] -= amount
    if payment.fee_amount:
        fee_account = payment.fee_account.ledger_account_id
        fee_currency = payment.fee_currency_id
        sums[(fee_account, fee_currency)] += payment.fee_amount
        sums[(selectors.booking_account(BookingAccount.Purpose.FEE_INCOME, fee_currency).pk, fee_currency)] \
            -= payment.fee_amount
    return [Leg(account_id, value, currency) for (account_id, currency), value in sums.items() if value != 0]


def _entry_kind(payment: Payment) -> str:
    return EntryKind.FX if payment.kind == Payment.Kind.FX_CONVERSION else EntryKind.TRANSFER


def _post_entry(payment: Payment, actor):
    metadata: dict[str, Any] = {"payment": payment.reference, "payment_kind": payment.kind}
    if payment.kind == Payment.Kind.FX_CONVERSION:
        metadata["fx"] = {"pair": f"{payment.currency_id}/{payment.target_currency_id}",
                          "rate": str(payment.fx_rate), "mid_rate": str(payment.fx_mid_rate),
                          "sell": str(payment.amount), "buy": str(payment.target_amount),
                          "quote": payment.fx_quote_id or ""}
    if payment.fee_amount:
        metadata["fee"] = {"amount": str(payment.fee_amount), "currency": payment.fee_currency_id}
    return ledger.entry_post(
        postings=_legs(payment), idempotency_key=f"payment:{payment.reference}", actor=actor,
        kind=_entry_kind(payment), external_ref=payment.end_to_end_id or payment.reference,
        description=_description(payment), metadata=metadata,
    ).entry


def _description(payment: Payment) -> str:
    text = payment.get_kind_display()
    if payment.counterparty_name:
        text += f" {'to' if payment.kind == Payment.Kind.OUTGOING else 'from'} {payment.counterparty_name}"
    if payment.remittance_info:
        text += f": {payment.remittance_info}"
    return text[:500]


def _post(payment: Payment, actor) -> None:
    entry = _post_entry(payment, actor)
    now = timezone.now()
    payment.mark_posted(entry=entry, at=now)
    payment.save()
    _history_first(payment, actor, "posted")
    audit_record(action="payment.posted", obj=payment, actor=actor, after=_summary(payment))


def _summary(payment: Payment) -> dict[str, Any]:
    return {"reference": payment.reference, "kind": payment.kind, "status": payment.status,
            "amount": str(payment.amount), "currency": payment.currency_id, "fee": str(payment.fee_amount),
            "entry": payment.entry_id, "hold": payment.hold_id}


def _review_hold_sides(payment: Payment) -> tuple[int, int, Decimal]:
    """(debit ledger account, credit ledger account, amount) of the hold that reserves a payment
    under review: everything that will leave the paying account, or for money coming in, the
    amount it will receive."""
    legs = _legs(payment)
    currency = payment.currency_id
    if payment.debtor_account_id:
        debit = payment.debtor_account.ledger_account_id
        total = sum((leg.amount for leg in legs if leg.account_id == debit), Decimal(0))
        credit = next(leg.account_id for leg in legs if leg.amount < 0 and leg.currency == currency
                      and leg.account_id != debit)
        return debit, credit, total
    credit = payment.creditor_account.ledger_account_id
    debit = next(leg.account_id for leg in legs if leg.amount > 0 and leg.account_id != credit)
    return debit, credit, payment.amount


def _hold_for_review(payment: Payment, reviews: list[Review], actor) -> None:
    debit, credit, amount = _review_hold_sides(payment)
    hold, _ = ledger.hold_create(
        debit_account_id=debit, credit_account_id=credit, amount=amount,
        idempotency_key=f"payment-review:{payment.reference}", actor=actor, external_ref=payment.reference,
        description=f"Held for review: {_description(payment)}"[:500], metadata={"payment": payment.reference},
    )
    reasons = [{"code": r.code, "reason": r.reason, "details": to_jsonable(r.details)} for r in reviews]
    payment.hold_for_review(hold=hold, reasons=reasons)
    payment.save()
    _history_first(payment, actor, "; ".join(r.reason for r in reviews))
    audit_record(action="payment.held_for_review", obj=payment, actor=actor, after=_summary(payment),
                 reason="; ".join(r.code for r in reviews))


# --- review, return -----------------------------------------------------------------------


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionRefused(f"you need the {permission} permission")


def _locked(payment_id: int) -> Payment:
    payment = (Payment.objects.select_for_update(of=("self",))
               .select_related("debtor_account", "creditor_account").filter(pk=payment_id).first())
    if payment is None:
        raise exc.PaymentNotFound(f"payment {payment_id} does not exist")
    return payment


def _released_intent(payment: Payment) -> PaymentIntent:
    return PaymentIntent(
        kind=payment.kind, event=KIND_EVENT[payment.kind], channel=payment.channel, amount=payment.amount,
        currency=payment.currency_id, business_date=payment.business_date, debtor=payment.debtor_account,
        creditor=payment.creditor_account, counterparty_iban=payment.counterparty_iban,
        counterparty_name=payment.counterparty_name, counterparty_country=payment.counterparty_country,
        target_amount=payment.target_amount, target_currency=payment.target_currency_id or "", payment=payment,
    )


@transaction.atomic
def payment_release(*, payment_id: int, actor=None, reason: str = "") -> Payment | Deferred:
    """A reviewer lets a held payment through: the hold is voided and the payment posts, in one
    transaction; the accounts' lifecycle rules are checked again (a frozen account stays frozen).
    Passes the maker-checker gate: a payment at or above its policy's exemption (by default
    50,000 EUR) returns the ``Deferred`` approval request unless an approved one is executing."""
    _require(actor, "payments.review_payment")
    return guarded("payment_release", payload={"payment_id": payment_id, "reason": reason}, actor=actor,
                   reason=reason, execute=lambda: _payment_release(payment_id=payment_id, actor=actor, reason=reason))


def _payment_release(*, payment_id: int, actor, reason: str) -> Payment:
    payment = _locked(payment_id)
    before = payment.status
    if before != Payment.Status.PENDING_REVIEW:
        raise exc.PaymentStateRefused(f"payment {payment.reference} is {payment.status}, not pending review")
    ids = [i for i in (payment.debtor_account_id, payment.creditor_account_id) if i]
    accounts = accounts_lock_for_payment(ids)
    if payment.debtor_account_id:
        accounts[payment.debtor_account_id].require_debitable()
    if payment.creditor_account_id:
        accounts[payment.creditor_account_id].require_creditable()
    ledger.hold_void(hold_id=payment.hold_id, actor=actor, reason=f"payment {payment.reference} released")
    entry = _post_entry(payment, actor)
    now = timezone.now()
    payment.release(entry=entry, at=now)
    payment.save()
    _history(payment, before, actor, reason or "released")
    audit_record(action="payment.released", obj=payment, actor=actor, after=_summary(payment), reason=reason)
    return payment


@transaction.atomic
def payment_reject(*, payment_id: int, actor=None, reason: str) -> Payment:
    """A reviewer refuses a held payment: the hold is voided and nothing posts."""
    _require(actor, "payments.review_payment")
    if not reason.strip():
        raise exc.InvalidPayment("a rejection needs a reason", field="reason")
    payment = _locked(payment_id)
    before = payment.status
    if before != Payment.Status.PENDING_REVIEW:
        raise exc.PaymentStateRefused(f"payment {payment.reference} is {payment.status}, not pending review")
    ledger.hold_void(hold_id=payment.hold_id, actor=actor, reason=f"payment {payment.reference} rejected")
    payment.reject(reason=reason)
    payment.save()
    _history(payment, before, actor, reason)
    give_back(payment=payment, intent=_released_intent(payment))
    audit_record(action="payment.rejected", obj=payment, actor=actor, after=_summary(payment), reason=reason)
    return payment


@transaction.atomic
def payment_return(*, payment_id: int, actor=None, reason: str) -> Payment:
    """An external payment comes back (outgoing, returned by the beneficiary's bank) or is sent
    back (incoming): the amount moves back through settlement; fees are not refunded."""
    _require(actor, "payments.return_payment")
    if not reason.strip():
        raise exc.InvalidPayment("a return needs a reason", field="reason")
    payment = _locked(payment_id)
    if payment.kind not in EXTERNAL_KINDS:
        raise exc.PaymentStateRefused(f"only external payments can be returned, not a {payment.kind}")
    before = payment.status
    if before != Payment.Status.POSTED:
        raise exc.PaymentStateRefused(f"payment {payment.reference} is {payment.status}, not posted")
    settlement = selectors.booking_account(BookingAccount.Purpose.SETTLEMENT, payment.currency_id).pk
    if payment.kind == Payment.Kind.OUTGOING:
        account = payment.debtor_account
        accounts_lock_for_payment([account.pk])
        account.refresh_from_db(fields=["status"])
        if account.status == Account.Status.CLOSED:
            raise exc.PaymentStateRefused(f"account {account.iban} is closed; the return must be handled by hand")
        legs = [Leg(settlement, payment.amount), Leg(account.ledger_account_id, -payment.amount)]
    else:
        account = payment.creditor_account
        accounts_lock_for_payment([account.pk])
        account.refresh_from_db(fields=["status"])
        account.require_debitable()
        legs = [Leg(account.ledger_account_id, payment.amount), Leg(settlement, -payment.amount)]
    entry = ledger.entry_post(
        postings=legs, idempotency_key=f"payment-return:{payment.reference}", actor=actor,
        external_ref=payment.end_to_end_id or payment.reference,
        description=f"Return of {payment.reference}: {reason}"[:500],
        metadata={"payment": payment.reference, "return_of": payment.entry_id},
    ).entry
    payment.mark_returned(entry=entry, reason=reason)
    payment.save()
    _history(payment, before, actor, reason)
    give_back(payment=payment, intent=_released_intent(payment))
    audit_record(action="payment.returned", obj=payment, actor=actor, after=_summary(payment), reason=reason)
    return payment


# --- FX -----------------------------------------------------------------------------------


@transaction.atomic
def fx_quote_create(*, sell_currency: str, buy_currency: str, sell_amount: Decimal, actor=None) -> FxQuote:
    """A firm price for converting ``sell_amount``, valid for PAYMENTS_FX_QUOTE_TTL seconds."""
    sell = Currency.objects.filter(code=sell_currency, is_active=True).first()
    buy = Currency.objects.filter(code=buy_currency, is_active=True).first()
    if sell is None or buy is None:
        raise ledger_exc.CurrencyMismatch(f"unknown or inactive currency in {sell_currency}/{buy_currency}")
    sell_amount = check_fits(to_decimal(sell_amount), sell.exponent, currency=sell.code)
    if sell_amount <= 0:
        raise ledger_exc.InvalidAmount("the amount to convert must be positive")
    rate = selectors.fx_rate(base=sell.code, quote=buy.code)
    bought = quantize(sell_amount * rate.customer, buy.exponent)
    if bought <= 0:
        raise ledger_exc.InvalidAmount("the converted amount rounds to zero")
    return FxQuote.objects.create(
        id="Q" + secrets.token_hex(10).upper(), sell_currency=sell, buy_currency=buy, sell_amount=sell_amount,
        buy_amount=bought, mid_rate=rate.mid, rate=rate.customer, spread=rate.spread, fx_rate=rate.fx_rate,
        expires_at=timezone.now() + dt.timedelta(seconds=settings.PAYMENTS_FX_QUOTE_TTL),
        created_by=user_or_none(actor),
    )


@transaction.atomic
def fx_rate_set(*, base: str, quote: str, mid_rate: Decimal, spread: Decimal | None = None,
                valid_from: dt.datetime | None = None, source: str = "", actor=None) -> FxRate:
    """Operations publish a mid rate (and optionally a new spread) for a pair."""
    mid_rate = to_decimal(mid_rate)
    if mid_rate <= 0:
        raise ledger_exc.InvalidAmount("an FX rate must be positive")
    if base == quote:
        raise exc.InvalidPayment("a rate needs two different currencies")
    for code in (base, quote):
        if not Currency.objects.filter(code=code, is_active=True).exists():
            raise ledger_exc.CurrencyMismatch(f"unknown or inactive currency {code!r}")
    if spread is None:
        previous = FxRate.objects.filter(base_id=base, quote_id=quote).order_by("-valid_from").first()
        spread = previous.spread if previous else Decimal("0.005")
    spread = to_decimal(spread)
    if not (0 <= spread < 1):
        raise exc.InvalidPayment("a spread is a fraction from 0 up to 1 (0.005 is 0.5%)", field="spread")
    row = FxRate.objects.create(base_id=base, quote_id=quote, mid_rate=mid_rate, spread=spread,
                                valid_from=valid_from or timezone.now(), source=source, created_by=user_or_none(actor))
    audit_record(action="fx.rate_set", obj=row, actor=actor,
                 after={"pair": f"{base}/{quote}", "mid_rate": str(mid_rate), "spread": str(spread)})
    return row
