"""Payment, FX and booking-account reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from core_banking.common.money import quantize
from core_banking.ledger.models import LedgerAccount

from . import exceptions as exc
from .models import BookingAccount, FxRate

ONE = Decimal(1)
RATE_PLACES = 12  # rates are kept to 12 decimal places (FxRate.mid_rate, Payment.fx_rate)


@dataclass(frozen=True)
class Rate:
    """How many units of ``quote`` one unit of ``base`` buys: mid-market and for the customer."""

    base: str
    quote: str
    mid: Decimal
    spread: Decimal
    customer: Decimal  # mid less the spread
    fx_rate: FxRate  # the row it came from


def fx_rate(*, base: str, quote: str, at: dt.datetime | None = None) -> Rate:
    """The rate to sell ``base`` for ``quote`` at ``at`` (now): the newest row for the pair, or
    the inverse of the newest row for the reverse pair, whichever started later. The spread
    always goes against the customer. Rates are rounded to 12 places (half even) before use."""
    if base == quote:
        raise exc.FxRateUnavailable(f"{base} needs no conversion")
    at = at or timezone.now()
    direct = FxRate.objects.filter(base_id=base, quote_id=quote, valid_from__lte=at).order_by("-valid_from").first()
    inverse = FxRate.objects.filter(base_id=quote, quote_id=base, valid_from__lte=at).order_by("-valid_from").first()
    if direct is None and inverse is None:
        raise exc.FxRateUnavailable(f"no FX rate for {base}/{quote}", pair=f"{base}/{quote}")
    if direct is not None and (inverse is None or direct.valid_from >= inverse.valid_from):
        mid, row = direct.mid_rate, direct
    else:
        mid, row = quantize(ONE / inverse.mid_rate, RATE_PLACES), inverse
    customer = quantize(mid * (ONE - row.spread), RATE_PLACES)
    return Rate(base=base, quote=quote, mid=mid, spread=row.spread, customer=customer, fx_rate=row)


def fx_mid_convert(*, amount: Decimal, from_currency: str, to_currency: str, at: dt.datetime | None = None) -> Decimal:
    """``amount`` in another currency at the mid rate, unrounded (the caller rounds once)."""
    if from_currency == to_currency:
        return amount
    return amount * fx_rate(base=from_currency, quote=to_currency, at=at).mid


def booking_account(purpose: str, currency: str) -> LedgerAccount:
    row = BookingAccount.objects.select_related("ledger_account").filter(purpose=purpose, currency_id=currency).first()
    if row is None:
        raise exc.NoBookingAccount(f"no {purpose} booking account in {currency}", purpose=purpose, currency=currency)
    return row.ledger_account


# --- look-up ------------------------------------------------------------------------------


def payment_search(
    *,
    reference: str = "",
    iban: str = "",
    customer_id: int | None = None,
    account_id: int | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    business_date_from: dt.date | None = None,
    business_date_to: dt.date | None = None,
    status: str = "",
    kind: str = "",
    visible_to=None,
):
    """The support look-up, newest first. Each filter is served by an index (docs/payments.md
    shows the plans): a reference or end-to-end id is an exact match; an IBAN matches our
    account on either side or the counterparty; a customer or account matches either side
    (an OR of two index scans); amount and dates are ranges."""
    from django.db.models import Q

    from core_banking.accounts.models import Account

    from .models import Payment

    qs = Payment.objects.select_related("debtor_account", "creditor_account", "currency").order_by("-created_at", "-id")
    if visible_to is not None:
        qs = qs.filter(visible_payments_q(visible_to))
    if reference:
        qs = qs.filter(Q(reference=reference.strip().upper()) | Q(end_to_end_id=reference.strip()))
    if iban:
        compact = iban.replace(" ", "").upper()
        own = list(Account.objects.filter(iban=compact).values_list("pk", flat=True)[:1])
        condition = Q(counterparty_iban=compact)
        if own:
            condition |= Q(debtor_account_id=own[0]) | Q(creditor_account_id=own[0])
        qs = qs.filter(condition)
    if customer_id is not None:
        qs = qs.filter(Q(customer_id_debtor=customer_id) | Q(customer_id_creditor=customer_id))
    if account_id is not None:
        qs = qs.filter(Q(debtor_account_id=account_id) | Q(creditor_account_id=account_id))
    if amount_min is not None:
        qs = qs.filter(amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(amount__lte=amount_max)
    if created_from is not None:
        qs = qs.filter(created_at__gte=created_from)
    if created_to is not None:
        qs = qs.filter(created_at__lt=created_to)
    if business_date_from is not None:
        qs = qs.filter(business_date__gte=business_date_from)
    if business_date_to is not None:
        qs = qs.filter(business_date__lte=business_date_to)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def payment_get(*, payment_id: int, visible_to=None):
    from .models import Payment

    payments = (Payment.objects.select_related("debtor_account", "creditor_account", "entry", "hold", "return_entry")
                .prefetch_related("status_changes").filter(pk=payment_id))
    if visible_to is not None:
        payments = payments.filter(visible_payments_q(visible_to))
    payment = payments.first()
    if payment is None:
        raise exc.PaymentNotFound(f"payment {payment_id} does not exist")
    return payment


# --- client isolation (core_banking/common/visibility.py) --------------------------------------


def visible_payments_q(visible_to):
    """A payment is visible to a caller scoped to ``visible_to`` when that user made it or one of
    its accounts belongs to a customer that user onboarded."""
    from django.db.models import Q

    return (Q(created_by=visible_to) | Q(debtor_account__customer__created_by=visible_to)
            | Q(creditor_account__customer__created_by=visible_to))


def payment_request_check_visible(*, visible_to, debtor_account_id=None, creditor_account_id=None,
                                  creditor_iban: str = "", **_other) -> None:
    """Every account of ours a payment request names must be visible to the caller: the debtor
    (it pays) and the creditor (it is paid, by id or by IBAN). An invisible account answers as a
    missing one: 404 ``account_not_found`` by id, 422 ``invalid_payment`` by IBAN."""
    if visible_to is None:
        return
    from core_banking.accounts.models import Account
    from core_banking.accounts.selectors import accounts_check_visible

    accounts_check_visible([debtor_account_id, creditor_account_id], visible_to=visible_to)
    if creditor_iban and not creditor_account_id:
        compact = creditor_iban.replace(" ", "").upper()
        if not Account.objects.filter(iban=compact, customer__created_by=visible_to).exists():
            raise exc.InvalidPayment(f"no account of ours has IBAN {creditor_iban}", field="creditor_iban")


# --- staff pages: transaction look-up, the payment's story, the operations dashboard ------------


def payment_find(*, reference: str = "", amount: Decimal | None = None, business_date: dt.date | None = None,
                 iban: str = "", limit: int = 20) -> list:
    """Payments for the staff search box: a reference or end-to-end id (exact, unique index /
    ``payment_end_to_end``), else an amount, a business date and/or an IBAN, combined with AND
    (``payment_amount_time``, ``payment_date_status``, ``payment_cpty_iban_time`` and the
    account-side indexes). Nothing to look for: nothing found (never a scan of every payment)."""
    if not (reference or amount is not None or business_date is not None or iban):
        return []
    qs = payment_search(reference=reference, iban=iban, amount_min=amount, amount_max=amount,
                        business_date_from=business_date, business_date_to=business_date)
    return list(qs[:limit])


def payment_story(*, payment_id: int) -> dict:
    """Everything the engine knows of one payment, for the support agent's "full story": the
    payment with both accounts and their customers, its status history (with who did it), the
    journal entry with every posting (and the return entry), the hold and the fee breakdown.
    Compliance decisions and the reconciliation match are read by the page from their own apps
    (the engine never imports them). A fixed number of queries whatever the payment."""
    from django.db.models import Prefetch

    from core_banking.ledger.models import Posting

    from .models import Payment, PaymentStatusChange

    postings = Posting.objects.select_related("account", "currency").order_by("id")
    payment = (
        Payment.objects.select_related(
            "debtor_account__customer", "creditor_account__customer", "currency", "fee_currency",
            "target_currency", "entry", "return_entry", "hold", "hold__debit_account", "hold__credit_account",
            "created_by")
        .prefetch_related(Prefetch("status_changes", queryset=PaymentStatusChange.objects.select_related("actor")
                                   .order_by("id")),
                          Prefetch("entry__postings", queryset=postings),
                          Prefetch("return_entry__postings", queryset=postings))
        .filter(pk=payment_id).first()
    )
    if payment is None:
        raise exc.PaymentNotFound(f"payment {payment_id} does not exist")
    entries = [e for e in (payment.entry, payment.return_entry) if e is not None]
    return {
        "payment": payment,
        "history": list(payment.status_changes.all()),
        "entries": entries,
        "postings": [p for e in entries for p in e.postings.all()],
        "hold": payment.hold,
        "fees": payment.fees or [],
    }


def payment_daily_counts(*, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Payments per business date and status in a date range: an index-only scan of
    ``payment_date_status`` (business_date, status) grouped in the database."""
    from django.db.models import Count

    from .models import Payment

    return list(Payment.objects.filter(business_date__gte=date_from, business_date__lte=date_to)
                .order_by().values("business_date", "status").annotate(n=Count("id"))
                .order_by("business_date", "status"))


def fee_income_daily(*, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Fee income per business date and currency, read from the ledger: the credits to the
    fee-income booking accounts (income is credited, so the sign is turned), one grouped query
    over those few accounts' postings."""
    from django.db.models import Sum

    from core_banking.ledger.models import Posting

    accounts = BookingAccount.objects.filter(purpose=BookingAccount.Purpose.FEE_INCOME).values("ledger_account_id")
    rows = (Posting.objects.filter(account_id__in=accounts, business_date__gte=date_from,
                                   business_date__lte=date_to)
            .order_by().values("business_date", "currency_id").annotate(total=Sum("amount"))
            .order_by("business_date", "currency_id"))
    return [{"business_date": r["business_date"], "currency": r["currency_id"], "income": -r["total"]}
            for r in rows]
