"""A new payment: what it would cost (``payment_preview``) and making it (``payment_create``).

A payment is made in four round trips to PostgreSQL, its COMMIT included (its BEGIN travels in
the first batch; the currency is pre-checked by ``payment_request`` against the process's cached
copy and confirmed with the reads of step 1):

1. **the request's reads**, one batch (``_read_request``): the payment already under the
   idempotency key (a replay), the accounts share-locked with their customer, product and
   currency (a freeze or close waits for the payment, see ``accounts_lock_for_payment``), the open
   business date, the booking accounts, the configuration generations and the new payment's id;
2. **the counters' reads**, one batch: the fee policy's and the checks' ``plan`` reads (their
   usage counters, locked) and the ledger entry's locks and reads (``ledger.entry_plan``); the
   fee is priced and the checks decide from them, and a refusal (a limit, the funds) is raised
   here, before anything is written;
3. **every write**, one batch (``_write``): the journal entry (one statement; its balance rows
   stay locked to the commit), the payment row, inserted once in its final state (its id and its
   entry's id were taken from their sequences ahead, so the rows that refer to them go in the
   same batch; foreign keys are checked at commit), the plug-ins' counter increments and records,
   the history, the events and the audit. The entry and the plug-ins' writes are sent first
   (``Batch.send``): the server runs them while the other rows are made.

Configuration (tariffs, limits, monitoring rules, currencies) is read from the per-process cache
of ``core_banking.config.cache``, checked against the generations of step 1. A concurrent
duplicate of the key waits on the payment's unique index in step 3 and then replays; a counter
created meanwhile by a concurrent payment makes the attempt run again (``ConcurrentChange``). A
payment a check sends to review is held through ``ledger.hold_create`` (round trips of its own:
the rare path), and so are plug-ins without ``plan``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from core_banking.accounts.exceptions import AccountNotFound
from core_banking.accounts.models import Account, Product
from core_banking.audit.services import audit_event, audit_record, http_request_in_transaction, to_jsonable
from core_banking.common.actors import user_or_none
from core_banking.common.idempotency import IdempotencyConflict, idempotency_scope_for, run_idempotent, unique_key
from core_banking.common.money import check_fits
from core_banking.common.rows import Joined
from core_banking.common.sqlbatch import Batch
from core_banking.config import cache
from core_banking.customers.exceptions import CustomerNotActive
from core_banking.customers.models import Customer
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.models import Currency, JournalEntry
from core_banking.ledger.selectors import OPEN_DAY_SQL, currencies
from core_banking.ledger.services import business_date_open

from .. import exceptions as exc
from ..models import BookingAccount, Payment
from ..seams import FeeCharge, PaymentIntent, Review, fee_policy, plans
from ..selectors import payment_get
from .booking import (
    Booking,
    amount_sides,
    description,
    entry_fields,
    entry_key,
    history_first,
    legs,
    payment_intent,
    review_hold_sides,
    summary,
)
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
    debtor, creditor = _accounts(request)
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
    render: Callable[[Payment], Any] | None = None, visible_to=None,
) -> tuple[Any, bool]:
    """Create a payment and post it (or hold it for review). Returns (payment, replayed). Takes a
    ``PaymentRequest`` or its fields as keywords (see ``payment_request``).

    With ``render`` (the API's response body from the payment), returns (``render(payment)``,
    replayed) instead, rendered *inside* the payment's transaction: nothing is read after the
    commit, so a connection lost between the commit and the answer cannot turn a committed payment
    into an error response built from a failed read (the client's retry with the same key then
    replays it).

    With ``visible_to`` (an API client's scope, ``client_scope``), every account of ours the
    request names must belong to a customer that user created, checked on the accounts the first
    round trip reads: an invisible account answers as a missing one (as
    ``selectors.payment_request_check_visible``), and costs no round trip of its own."""
    if not idempotency_key:
        raise exc.InvalidPayment("a payment needs an idempotency key", field="idempotency_key")
    request = _request(request, dict(
        kind=kind, amount=amount, currency=currency, channel=channel, debtor_account_id=debtor_account_id,
        creditor_account_id=creditor_account_id, creditor_iban=creditor_iban, counterparty_iban=counterparty_iban,
        counterparty_name=counterparty_name, counterparty_bic=counterparty_bic, remittance_info=remittance_info,
        end_to_end_id=end_to_end_id, target_currency=target_currency, quote_id=quote_id))
    scope = idempotency_scope_for(actor)
    if render is None:
        return run_idempotent(lambda: _create(request, idempotency_key, scope, actor, visible_to))

    def create_and_render() -> tuple[Any, bool]:
        payment, was_replayed = _create(request, idempotency_key, scope, actor, visible_to)
        return render(payment), was_replayed

    return run_idempotent(create_and_render)


def _create(request: PaymentRequest, key: str, scope: str, actor, visible_to=None) -> tuple[Payment, bool]:
    """Runs inside run_idempotent's transaction, in three round trips (the first carries its
    BEGIN; then the COMMIT): the reads of the request (``_read_request``), the locks and reads of the fee policy,
    the checks and the ledger (``_read_counters``), and every write (``_write``). A refusal is
    raised from what the reads found, before anything is written. The fee policy and checks that
    offer ``plan`` take part in these round trips; the others run with round trips of their own
    between the second and the third (``core_banking/payments/seams.py``)."""
    request_hash = request.fingerprint()
    found = _read_request(request, scope, key)
    if visible_to is not None:
        _check_visible(request, found.debtor, found.creditor, visible_to)
    if found.existing is not None:
        existing_id, existing_hash = found.existing
        if existing_hash != request_hash:
            raise IdempotencyConflict(f"idempotency key {key!r} was used for a different payment")
        return payment_get(payment_id=existing_id), True
    debtor, creditor = found.debtor, found.creditor
    _check_accounts(request, debtor, creditor)
    with cache.generations_seen(found.generations):
        conversion = conversion_price(request, use_quote=True) if request.kind == Payment.Kind.FX_CONVERSION else None
        payment = _new_payment(request, debtor, creditor, business_date=found.business_date or business_date_open(),
                               conversion=conversion)
        payment.reference = _reference()
        payment.idempotency_scope, payment.idempotency_key, payment.request_hash = scope, key, request_hash
        payment.created_by = user_or_none(actor)
        payment.pk = found.payment_id if found.payment_id is not None else _next_payment_id_sqlite()
        known = currencies()  # confirmed against this transaction's generation
        _confirm_currency(request, known)
        payment.currency = known[payment.currency_id]  # what the API renders it with, not read back
        if payment.target_currency_id in known:
            payment.target_currency = known[payment.target_currency_id]
        intent = payment_intent(payment)
        reads, writes = Batch(), Batch()
        fee_plan, check_plans = plans(intent, reads, writes)
        entry = ledger.entry_plan(account_ids=_entry_accounts(payment, found.booking),
                                  idempotency_key=entry_key(payment), actor=actor)
        entry.read(reads)
        reads.run()  # round trip 2: counters and the ledger's locks and reads
        fees = _checked_fees(fee_plan(), intent.fee_account)
        if fees:
            payment.fee_amount = sum((f.amount for f in fees), Decimal(0))
            payment.fee_currency_id = fees[0].currency
            payment.fees = [{"code": f.code, "amount": str(f.amount), "currency": f.currency,
                             "description": f.description, "details": to_jsonable(f.details)} for f in fees]
        reviews = [review for finish in check_plans if (review := finish()) is not None]
        if reviews:  # held for review: the rare path, with round trips of its own
            writes.run()
            with unique_key("payment_idempotency"):
                payment.save(force_insert=True)
            _hold_for_review(payment, reviews, actor)
            return payment, False
        entry.check(ledger.entry_spec(postings=legs(payment, found.booking), **entry_fields(payment)))
        _write(payment, entry, writes, actor)
    return payment, False


@dataclass
class _Request:
    """What the first round trip of ``_create`` found."""

    existing: tuple[int, str] | None  # (id, request hash) of the payment under the key
    debtor: Account | None
    creditor: Account | None
    business_date: dt.date | None  # None: no open business date yet
    payment_id: int | None  # the new payment's id (None on SQLite: taken at the insert)
    booking: Booking
    generations: list[tuple[str, int]] | None


_EXISTING_SQL = "SELECT id, request_hash FROM payments_payment WHERE idempotency_scope = %s AND idempotency_key = %s"
_NEXT_ID_SQL = "SELECT nextval(pg_get_serial_sequence('payments_payment', 'id'))"
_BOOKING_SQL = ("SELECT purpose, currency_id, ledger_account_id FROM payments_bookingaccount"
                " WHERE currency_id IN (%s, %s)")


def _read_request(request: PaymentRequest, scope: str, key: str) -> _Request:
    """Round trip 1 (with the transaction's BEGIN): the payment already under the key, the accounts
    share-locked with their customer, product and currency (a freeze or close waits for the
    payment, see ``accounts_lock_for_payment``), the open business date, the bank's booking
    accounts in the payment's currencies, the configuration generations and the new id."""
    postgres = connection.vendor == "postgresql"
    batch = Batch()
    existing = batch.add(_EXISTING_SQL, [scope, key])
    accounts = batch.add(*_accounts_sql(request, lock=postgres))
    day = batch.add(OPEN_DAY_SQL)
    booking = batch.add(_BOOKING_SQL, [request.currency, request.target_currency or request.currency])
    generations = batch.add(cache.GENERATIONS_SQL) if postgres else None
    next_id = batch.add(_NEXT_ID_SQL) if postgres else None
    batch.run()
    debtor, creditor = _accounts_found(request, accounts.rows)
    return _Request(
        existing=existing.one(), debtor=debtor, creditor=creditor,
        business_date=day.rows[0][0] if day.rows else None,
        payment_id=next_id.rows[0][0] if next_id is not None else None,
        booking={(purpose, currency): account_id for purpose, currency, account_id in booking.rows},
        generations=generations.rows if generations is not None else None,
    )


def _confirm_currency(request: PaymentRequest, known: dict[str, Currency]) -> None:
    """``payment_request`` checked the currency against the process's cached copy; this checks it
    against the copy of the payment's own transaction (a currency deactivated meanwhile)."""
    row = known.get(request.currency)
    if row is None or not row.is_active:
        raise ledger_exc.UnknownCurrency(f"unknown or inactive currency {request.currency!r}", field="currency")
    check_fits(request.amount, row.exponent, currency=row.code)


def _next_payment_id_sqlite() -> int:
    """The embedded SQLite database (``make run``) has no sequences; it has one writer at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM payments_payment")
        return cursor.fetchone()[0]


def _entry_accounts(payment: Payment, booking: Booking) -> list[int]:
    """Every ledger account the entry may touch, before the fee is known: the payment's sides
    and the fee income account of the fee account's currency."""
    if payment.kind == Payment.Kind.FX_CONVERSION:
        ids = [leg.account_id for leg in legs(payment, booking)]
    else:
        ids = list(amount_sides(payment, booking))
    fee_account = payment.fee_account
    if fee_account is not None:
        fee_income = booking.get((BookingAccount.Purpose.FEE_INCOME, fee_account.currency_id))
        if fee_income is not None:
            ids.append(fee_income)
        ids.append(fee_account.ledger_account_id)
    return ids


def _write(payment: Payment, entry, writes: Batch, actor) -> None:
    """Round trip 3: the journal entry first (its balance rows are locked from here to the
    commit) and the plug-ins' writes, sent while the payment, its history, events and audit rows
    are made (``Batch.send``), then those."""
    batch = Batch()
    entry.write(batch)
    batch.absorb(writes)
    with batch.streaming():
        # The entry and the plug-ins' writes leave now: PostgreSQL runs them while the rows below
        # are made (their foreign keys to the payment are checked at commit).
        batch.send()
        # posted with the entry the same batch writes (its id known ahead; a stand-in until then)
        payment.mark_posted(entry=JournalEntry(pk=entry.entry_id), at=timezone.now())
        batch.insert([payment])
        history_first(payment, actor, "posted", batch=batch)
        http_request_in_transaction(batch)
        batch.insert([audit_event(action="payment.posted", obj=payment, actor=actor, after=summary(payment))])
        with unique_key("payment_idempotency"):
            batch.run()
    payment.entry = ledger.entry_planned(entry).entry


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
            raise _no_iban(request)
        return account_id
    return None


def _no_iban(request: PaymentRequest) -> exc.InvalidPayment:
    return exc.InvalidPayment(f"no account of ours has IBAN {request.creditor_iban}", field="creditor_iban")


def _accounts(request: PaymentRequest) -> tuple[Account | None, Account | None]:
    """The accounts of a preview (no lock)."""
    debtor_id = int(request.debtor_account_id) if request.debtor_account_id else None
    creditor_id = _creditor_id(request)
    if debtor_id is not None and debtor_id == creditor_id:
        raise exc.InvalidPayment("the debtor and creditor accounts are the same account")
    ids = [i for i in (debtor_id, creditor_id) if i is not None]
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=ids)
                .select_related("ledger_account", "customer", "product", "currency")}
    missing = [i for i in ids if i not in accounts]
    if missing:
        raise AccountNotFound(f"account {missing[0]} does not exist")
    return (accounts.get(debtor_id) if debtor_id else None, accounts.get(creditor_id) if creditor_id else None)


# An account with its customer, product and currency, in one row (as select_related reads them).
_ACCOUNT_ROW = Joined(("a", Account), ("c", Customer), ("p", Product), ("cur", Currency))
_ACCOUNT_FROM = (
    f"FROM {Account._meta.db_table} a JOIN {Customer._meta.db_table} c ON c.id = a.customer_id"
    f" JOIN {Product._meta.db_table} p ON p.id = a.product_id"
    f" JOIN {Currency._meta.db_table} cur ON cur.code = a.currency_id"
)


def _accounts_sql(request: PaymentRequest, *, lock: bool) -> tuple[str, list]:
    """The accounts a new payment names (by id, the creditor possibly by IBAN), share-locked in
    id order on PostgreSQL: concurrent payments on one account do not wait for each other; a
    lifecycle change (``FOR UPDATE``) waits for them, and they for it."""
    ids = [int(i) for i in (request.debtor_account_id, request.creditor_account_id) if i]
    conditions, params = [], []
    if ids:
        conditions.append(f"a.id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    if request.creditor_iban:
        conditions.append("a.iban = %s")
        params.append(request.creditor_iban)
    where = " OR ".join(conditions) or "false"
    return (f"SELECT {_ACCOUNT_ROW.columns} {_ACCOUNT_FROM} WHERE {where} ORDER BY a.id"
            + (" FOR SHARE OF a" if lock else "")), params


def _accounts_found(request: PaymentRequest, rows: list[tuple]) -> tuple[Account | None, Account | None]:
    accounts = {}
    for row in rows:
        instances = _ACCOUNT_ROW.instances(row)
        account, customer, product, currency = instances
        account._state.fields_cache.update(customer=customer, product=product, currency=currency)
        accounts[account.pk] = account
    debtor_id = int(request.debtor_account_id) if request.debtor_account_id else None
    if request.creditor_account_id:
        creditor_id = int(request.creditor_account_id)
    elif request.creditor_iban:
        creditor_id = next((a.pk for a in accounts.values() if a.iban == request.creditor_iban), None)
        if creditor_id is None:
            raise _no_iban(request)
    else:
        creditor_id = None
    if debtor_id is not None and debtor_id == creditor_id:
        raise exc.InvalidPayment("the debtor and creditor accounts are the same account")
    for account_id in (debtor_id, creditor_id):
        if account_id is not None and account_id not in accounts:
            raise AccountNotFound(f"account {account_id} does not exist")
    return (accounts[debtor_id] if debtor_id else None, accounts[creditor_id] if creditor_id else None)


def _check_visible(request: PaymentRequest, debtor: Account | None, creditor: Account | None, visible_to) -> None:
    """Every account the request names belongs to a customer ``visible_to`` created: the first
    one named by id that does not answers as a missing account, a creditor named by IBAN as an
    IBAN of no account of ours."""
    by_iban = bool(request.creditor_iban and not request.creditor_account_id)
    named = [a for a in (debtor, None if by_iban else creditor) if a is not None]
    for account in sorted(named, key=lambda a: a.pk):
        if account.customer.created_by_id != visible_to.pk:
            raise AccountNotFound(f"account {account.pk} does not exist")
    if by_iban and creditor is not None and creditor.customer.created_by_id != visible_to.pk:
        raise _no_iban(request)


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
    return _checked_fees(fee_policy()(intent, preview=preview), intent.fee_account)


def _checked_fees(fees: list[FeeCharge], account: Account | None) -> list[FeeCharge]:
    """The policy's non-zero fees, each refused unless positive, in the charged account's
    currency and fitting its exponent."""
    fees = [f for f in fees if f.amount != 0]
    for fee in fees:
        if fee.amount < 0:
            raise exc.InvalidPayment(f"the fee policy returned a negative fee {fee.code}")
        if account is None or fee.currency != account.currency_id:
            raise exc.InvalidPayment(f"fee {fee.code} is in {fee.currency}, not in the charged account's currency")
        check_fits(fee.amount, account.currency.exponent, currency=fee.currency)
    return fees


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
