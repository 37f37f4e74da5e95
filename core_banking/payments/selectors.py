"""Payment, FX and booking-account reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from core_banking.ledger.models import LedgerAccount

from . import exceptions as exc
from .models import BookingAccount, FxRate

ONE = Decimal(1)


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
    always goes against the customer."""
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
        mid, row = ONE / inverse.mid_rate, inverse
    customer = mid * (ONE - row.spread)
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
