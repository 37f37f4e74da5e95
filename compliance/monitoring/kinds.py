"""The typologies a monitoring rule can be, and the parameters each takes (validated here, used
by ``engine``). Amounts are decimal strings in the bank's base currency (``BANK_BASE_CURRENCY``)
unless a ``currency`` parameter says otherwise; a payment in another currency is converted at the
FX mid rate when it is recorded (``MonitoredFlow.amount_base``).

=========================  =======================================================================
kind                       parameters (``*`` required)
=========================  =======================================================================
large_amount               threshold*, currency ('' = base currency, compare the converted
                           amount; a code = only payments in that currency, compared as sent),
                           direction ('any' | 'in' | 'out', default 'any')
cash_threshold             threshold* (cash deposits + withdrawals of the customer's business day)
structuring                threshold*, margin* (0 < margin < 1), count* (>= 2), window_days*
                           (>= 1), cash_only (default false), direction (default 'any')
velocity                   metric* ('count' | 'amount'), limit*, window_hours or window_days
                           (exactly one), direction (default 'out')
new_counterparty_large     threshold* (an outgoing payment to an IBAN the customer never paid)
high_risk_country          countries* (ISO 3166 alpha-2 list), direction (default 'any')
dormant_reactivation       idle_days* (>= 1), threshold*
rapid_in_out               pct* (0 < pct <= 1000), window_hours* (>= 1), min_incoming (default 0)
=========================  =======================================================================
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from .exceptions import InvalidRule


class Kind(models.TextChoices):
    LARGE_AMOUNT = "large_amount", "Large single payment"
    CASH_THRESHOLD = "cash_threshold", "Cash over a threshold per business day"
    STRUCTURING = "structuring", "Structuring (many payments just under a threshold)"
    VELOCITY = "velocity", "Velocity (count or amount within a window)"
    NEW_COUNTERPARTY_LARGE = "new_counterparty_large", "Large payment to a new counterparty"
    HIGH_RISK_COUNTRY = "high_risk_country", "Counterparty in a high-risk country"
    DORMANT_REACTIVATION = "dormant_reactivation", "Dormant account moved by a large amount"
    RAPID_IN_OUT = "rapid_in_out", "Money in, money out (pass-through)"


class Action(models.TextChoices):
    ALERT = "alert", "Alert (let the payment through)"
    HOLD = "hold", "Hold for review"
    REJECT = "reject", "Reject the payment"


#: The strength of an action: the strongest of the rules that fire decides.
STRENGTH = {Action.ALERT: 1, Action.HOLD: 2, Action.REJECT: 3}
#: The kinds evaluated over aggregates (also by the end-of-day batch).
AGGREGATE_KINDS = (Kind.CASH_THRESHOLD, Kind.STRUCTURING, Kind.VELOCITY, Kind.RAPID_IN_OUT)
DIRECTIONS = ("any", "in", "out")


def _decimal(params: dict, name: str, *, required: bool = True, minimum: Decimal = Decimal(0),
             maximum: Decimal | None = None, exclusive_min: bool = False, default: Any = None) -> Any:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidRule(f"parameters.{name} is required", field=f"parameters.{name}")
        return default
    if isinstance(value, float | bool):
        raise InvalidRule(f"parameters.{name} must be a decimal string, not a float", field=f"parameters.{name}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise InvalidRule(f"parameters.{name} is not a decimal number", field=f"parameters.{name}") from error
    if not number.is_finite() or number < minimum or (exclusive_min and number == minimum) \
            or (maximum is not None and number > maximum):
        bound = f"above {minimum}" if exclusive_min else f"at least {minimum}"
        raise InvalidRule(f"parameters.{name} must be {bound}" + (f" and at most {maximum}" if maximum else ""),
                          field=f"parameters.{name}")
    return format(number, "f")


def _int(params: dict, name: str, *, required: bool = True, minimum: int = 1, maximum: int = 100_000,
         default: Any = None) -> Any:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidRule(f"parameters.{name} is required", field=f"parameters.{name}")
        return default
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise InvalidRule(f"parameters.{name} must be a whole number", field=f"parameters.{name}")
    number = int(value)
    if not minimum <= number <= maximum:
        raise InvalidRule(f"parameters.{name} must be between {minimum} and {maximum}", field=f"parameters.{name}")
    return number


def _choice(params: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise InvalidRule(f"parameters.{name} must be one of {', '.join(choices)}", field=f"parameters.{name}")
    return value


def _bool(params: dict, name: str) -> bool:
    value = params.get(name, False)
    if not isinstance(value, bool):
        raise InvalidRule(f"parameters.{name} must be true or false", field=f"parameters.{name}")
    return value


def _validate(kind: str, p: dict) -> dict[str, Any]:
    if kind == Kind.LARGE_AMOUNT:
        currency = (p.get("currency") or "").strip().upper()
        if currency:
            from core_banking.ledger.models import Currency

            if not Currency.objects.filter(code=currency).exists():
                raise InvalidRule(f"unknown currency {currency!r}", field="parameters.currency")
        return {"threshold": _decimal(p, "threshold", exclusive_min=True), "currency": currency,
                "direction": _choice(p, "direction", DIRECTIONS, "any")}
    if kind == Kind.CASH_THRESHOLD:
        return {"threshold": _decimal(p, "threshold", exclusive_min=True)}
    if kind == Kind.STRUCTURING:
        return {"threshold": _decimal(p, "threshold", exclusive_min=True),
                "margin": _decimal(p, "margin", exclusive_min=True, maximum=Decimal("0.99")),
                "count": _int(p, "count", minimum=2, maximum=1000), "window_days": _int(p, "window_days", maximum=90),
                "cash_only": _bool(p, "cash_only"), "direction": _choice(p, "direction", DIRECTIONS, "any")}
    if kind == Kind.VELOCITY:
        metric = _choice(p, "metric", ("count", "amount"), "")
        hours = _int(p, "window_hours", required=False, maximum=24 * 90)
        days = _int(p, "window_days", required=False, maximum=366)
        if (hours is None) == (days is None):
            raise InvalidRule("give exactly one of parameters.window_hours or parameters.window_days",
                              field="parameters.window_hours")
        out = {"metric": metric, "direction": _choice(p, "direction", DIRECTIONS, "out")}
        out["limit"] = (_int(p, "limit", maximum=1_000_000) if metric == "count"
                        else _decimal(p, "limit", exclusive_min=True))
        out.update({"window_hours": hours} if hours is not None else {"window_days": days})
        return out
    if kind == Kind.NEW_COUNTERPARTY_LARGE:
        return {"threshold": _decimal(p, "threshold", exclusive_min=True)}
    if kind == Kind.HIGH_RISK_COUNTRY:
        countries = p.get("countries")
        if not isinstance(countries, list) or not countries or not all(
                isinstance(c, str) and len(c.strip()) == 2 and c.strip().isalpha() for c in countries):
            raise InvalidRule("parameters.countries must be a non-empty list of ISO 3166 alpha-2 codes",
                              field="parameters.countries")
        return {"countries": sorted({c.strip().upper() for c in countries}),
                "direction": _choice(p, "direction", DIRECTIONS, "any")}
    if kind == Kind.DORMANT_REACTIVATION:
        return {"idle_days": _int(p, "idle_days", maximum=3650), "threshold": _decimal(p, "threshold")}
    if kind == Kind.RAPID_IN_OUT:
        return {"pct": _decimal(p, "pct", exclusive_min=True, maximum=Decimal(1000)),
                "window_hours": _int(p, "window_hours", maximum=24 * 30),
                "min_incoming": _decimal(p, "min_incoming", required=False, default="0")}
    raise InvalidRule(f"unknown rule kind {kind!r}", field="kind")


def parameters_validate(kind: str, parameters: Any) -> dict[str, Any]:
    """The parameters of a version of a rule of ``kind``, checked and normalised (amounts as
    decimal strings); unknown parameters are refused."""
    if not isinstance(parameters, dict):
        raise InvalidRule("parameters must be an object", field="parameters")
    out = _validate(kind, parameters)
    unknown = set(parameters) - set(out) - ({"window_hours", "window_days"} if kind == Kind.VELOCITY else set())
    if unknown:
        raise InvalidRule(f"unknown parameter(s) for {kind}: {', '.join(sorted(unknown))}",
                          field=f"parameters.{sorted(unknown)[0]}")
    return out
