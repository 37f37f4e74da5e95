"""Money: the one module that knows about currency exponents, quantizing and allocation.

Rules, in one place:

* Amounts are ``decimal.Decimal``. A ``float`` reaching this module is a programming error and is
  refused (``TypeError``), never converted.
* Every currency or asset has an *exponent*: the number of decimal places its amounts may carry
  (ISO 4217 for fiat: JPY 0, EUR 2, BHD 3; configurable assets up to 18).
* Input amounts that do not fit their currency's exponent are **refused**
  (``InvalidAmount``), not silently rounded: a client that sends ``10.001 EUR`` has a bug.
* Where arithmetic produces more places than the currency allows (percentages, interest,
  FX conversion), the result is rounded **once**, by ``quantize``, with ROUND_HALF_EVEN (banker's
  rounding) unless the caller names another rule for a documented reason (for example a fee
  that must never be under-charged uses ROUND_UP).
* Splitting an amount (allocation of a fee, a loan instalment) uses the largest-remainder method,
  so the parts always add up exactly to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from core_banking.common.errors import DomainError

MAX_EXPONENT = 18
# NUMERIC(38, 18) in the database: 20 integer digits, 18 fractional.
MAX_INTEGER_DIGITS = 20
# Significant digits of the arithmetic here: room for a 38-digit amount times a 20-digit weight.
PRECISION = 60

# ISO 4217 minor units that differ from the default of 2.
_ISO_EXPONENT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def iso_exponent(code: str) -> int:
    """The ISO 4217 minor unit of a fiat currency code (2 unless it is a listed exception)."""
    return _ISO_EXPONENT_EXCEPTIONS.get(code.upper(), 2)


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status = 400
    title = "The amount is not valid"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"
    status = 400
    title = "The currencies do not match"


def to_decimal(value: object) -> Decimal:
    """Parse an amount from a Decimal, an int or a string. Floats are refused."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, float):
        raise TypeError("money must never be a float; pass a Decimal or a string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise InvalidAmount(f"{value!r} is not a number") from exc
    else:
        raise TypeError(f"cannot use {type(value).__name__} as an amount")
    if not result.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite number")
    return result


def places(amount: Decimal) -> int:
    """Number of significant decimal places (``10.50`` has 1, ``10.00`` has 0), exact for the
    38 digits of a stored amount (``normalize`` rounds to the context's precision)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        normalized = amount.normalize()
    exponent = normalized.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


_UNITS = [Decimal(1).scaleb(-e) for e in range(MAX_EXPONENT + 1)]
_TOO_LARGE = Decimal(10) ** MAX_INTEGER_DIGITS


def check_fits(amount: Decimal, exponent: int, *, currency: str = "") -> Decimal:
    """Refuse an amount with more decimal places than the currency allows, or too large to
    store; return it quantized to exactly ``exponent`` places."""
    if not 0 <= exponent <= MAX_EXPONENT:
        raise ValueError(f"exponent {exponent} is outside 0..{MAX_EXPONENT}")
    if abs(amount) >= _TOO_LARGE:
        raise InvalidAmount(f"{amount} is too large", currency=currency)
    if exponent + MAX_INTEGER_DIGITS <= 28:  # fits the default context's 28 digits
        fitted = amount.quantize(_UNITS[exponent])
    else:
        with localcontext() as ctx:
            ctx.prec = PRECISION
            fitted = amount.quantize(_UNITS[exponent])
    if fitted != amount:
        raise InvalidAmount(
            f"{amount} has more than {exponent} decimal places allowed for {currency or 'the currency'}",
            currency=currency,
            exponent=exponent,
        )
    return fitted


def quantize(amount: Decimal, exponent: int, *, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Round a computed amount to the currency's exponent. The one rounding point."""
    if isinstance(amount, float):
        raise TypeError("money must never be a float")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return amount.quantize(Decimal(1).scaleb(-exponent), rounding=rounding)


def allocate(total: Decimal, weights: Sequence[Decimal | int], exponent: int) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` so that the parts sum exactly to ``total``.

    Largest-remainder method: each part is first rounded down to the exponent; the units left
    over go one by one to the parts with the largest remainders (ties to the earlier part).
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    weights = [to_decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    total = to_decimal(total)
    unit = Decimal(1).scaleb(-exponent)
    magnitude = abs(total)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        exact = [magnitude * w / weight_sum for w in weights]
        parts = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
        leftover_units = int(((magnitude - sum(parts, Decimal(0))) / unit).to_integral_value())
        order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in order[:leftover_units]:
            parts[i] += unit
    return [-p for p in parts] if total < 0 else parts
