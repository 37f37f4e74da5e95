"""Money as people read it: the one place that turns an amount, a percentage or a rate into text.

* ``format_money(Decimal("1217.570000000000000000"), "EUR")`` -> ``"1,217.57 EUR"``: rounded
  to the currency's exponent (``money.quantize``, ROUND_HALF_EVEN, the one rounding point),
  thousands grouped with commas, the currency code after it. ``Decimal`` only: a float is refused.
* ``format_percent(Decimal("0.0125"))`` -> ``"1.25%"``: a *fraction* (what the models store for
  fee percentages, interest and tax rates, spreads) shown as a percentage.
* ``format_rate(Decimal("1.084500000000"), "EUR", "USD")`` -> ``"1 EUR = 1.0845 USD"``: an
  exchange rate, never rounded (a rate has the precision it was published with).

The admin (``backoffice/staff/admin_money.py``), the staff pages and the PDFs use these, and the
template filters of ``core_banking/common/templatetags/money.py`` wrap them.

A currency is given as its code or as a ``Currency`` row; codes are looked up in the ledger's
currency table (cached; ``exponents_forget`` empties the cache) and fall back to ISO 4217.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from core_banking.common.money import PRECISION, iso_exponent, quantize, to_decimal

EMPTY = "—"

_exponents: dict[str, int] = {}


def exponents_forget() -> None:
    """Forget the cached exponents (a currency was added; each admin request starts afresh)."""
    _exponents.clear()


def exponent_of(currency) -> int:
    """The exponent of a currency given as a ``Currency`` row (or anything with ``exponent``) or a
    code: the ledger's currency table, else ISO 4217."""
    exponent = getattr(currency, "exponent", None)
    if exponent is not None:
        return int(exponent)
    code = str(getattr(currency, "code", currency) or "").upper()
    if code not in _exponents:
        try:
            from core_banking.ledger.models import Currency

            _exponents.update(Currency.objects.values_list("code", "exponent"))
        except Exception:  # noqa: BLE001, S110 - no database (a template rendered without one): ISO
            pass
        _exponents.setdefault(code, iso_exponent(code) if code else 2)
    return _exponents[code]


def currency_code(currency) -> str:
    return str(getattr(currency, "code", currency) or "")


def _decimal(value) -> Decimal:
    return to_decimal(value) if not isinstance(value, Decimal) else value


def format_amount(amount, currency) -> str:
    """The amount alone (no code), rounded to the currency's exponent and grouped: ``1,217.57``."""
    if amount is None or amount == "":
        return EMPTY
    return f"{quantize(_decimal(amount), exponent_of(currency)):,f}"


def format_money(amount, currency) -> str:
    """``1,217.57 EUR``: rounded to the currency's exponent, grouped, with the code."""
    if amount is None or amount == "":
        return EMPTY
    code = currency_code(currency)
    text = format_amount(amount, currency)
    return f"{text} {code}" if code else text


def _plain(value: Decimal) -> str:
    """A decimal without trailing zeros and without an exponent: ``0E-18`` -> ``0``."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        normalized = value.normalize()
    text = format(normalized, "f")
    return text


def format_percent(fraction) -> str:
    """A fraction as a percentage: ``0.0125`` -> ``1.25%`` (``0.5`` -> ``50%``)."""
    if fraction is None or fraction == "":
        return EMPTY
    with localcontext() as ctx:
        ctx.prec = PRECISION
        percent = _decimal(fraction) * 100
    return f"{_plain(percent)}%"


def format_number(value) -> str:
    """A plain decimal without trailing zeros (a day-count factor, an already-percent share)."""
    if value is None or value == "":
        return EMPTY
    return _plain(_decimal(value))


def format_rate(rate, base=None, quote=None) -> str:
    """An exchange rate as published: ``1 EUR = 1.0845 USD`` (``1.0845`` without currencies)."""
    if rate is None or rate == "":
        return EMPTY
    text = _plain(_decimal(rate))
    if base and quote:
        return f"1 {currency_code(base)} = {text} {currency_code(quote)}"
    return text
