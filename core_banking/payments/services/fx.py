"""FX: rates operations publish, firm quotes, and the price and ledger legs of a conversion.

A conversion's amount bought is rounded once (``ledger.services.fx_bought``) and its four legs
come from the ledger's one builder (``ledger.services.fx_legs``), the same that ``fx_convert``
uses: the payer's account against the sold currency's FX position, the bought currency's
position against the payee's account.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.money import check_fits, to_decimal
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import Currency

from .. import exceptions as exc
from .. import selectors
from ..models import FxQuote, FxRate, Payment
from .request import PaymentRequest


@dataclass(frozen=True)
class Conversion:
    """The price of a conversion: the customer rate, the mid rate, the amount bought, and the quote
    it honours (None at the rate in force)."""

    rate: Decimal
    mid_rate: Decimal
    bought: Decimal
    quote: FxQuote | None = None


def conversion_price(request: PaymentRequest, *, use_quote: bool) -> Conversion:
    """The price of a conversion request: its quote (locked, checked and unused) when it names one
    and ``use_quote``, else the rate in force."""
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
        return Conversion(rate=quote.rate, mid_rate=quote.mid_rate, bought=quote.buy_amount, quote=quote)
    target = Currency.objects.get(code=request.target_currency)
    rate = selectors.fx_rate(base=request.currency, quote=request.target_currency)
    return Conversion(rate=rate.customer, mid_rate=rate.mid,
                      bought=ledger.fx_bought(request.amount, rate.customer, target.exponent))


def conversion_legs(payment: Payment) -> list[Leg]:
    """The four legs of a conversion payment (before its fee): the payer's account is debited
    what it sells, the payee's account credited what it buys, through the FX positions."""
    return ledger.fx_legs(
        from_account_id=payment.debtor_account.ledger_account_id,
        to_account_id=payment.creditor_account.ledger_account_id, sell_currency=payment.currency_id,
        buy_currency=payment.target_currency_id, sold=payment.amount, bought=payment.target_amount,
    )


@transaction.atomic
def fx_quote_create(*, sell_currency: str, buy_currency: str, sell_amount: Decimal, actor=None) -> FxQuote:
    """A firm price for converting ``sell_amount``, valid for PAYMENTS_FX_QUOTE_TTL seconds."""
    sell = Currency.objects.filter(code=sell_currency, is_active=True).first()
    buy = Currency.objects.filter(code=buy_currency, is_active=True).first()
    if sell is None or buy is None:
        raise ledger_exc.UnknownCurrency(f"unknown or inactive currency in {sell_currency}/{buy_currency}")
    sell_amount = check_fits(to_decimal(sell_amount), sell.exponent, currency=sell.code)
    if sell_amount <= 0:
        raise ledger_exc.InvalidAmount("the amount to convert must be positive")
    rate = selectors.fx_rate(base=sell.code, quote=buy.code)
    bought = ledger.fx_bought(sell_amount, rate.customer, buy.exponent)
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
            raise ledger_exc.UnknownCurrency(f"unknown or inactive currency {code!r}")
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
