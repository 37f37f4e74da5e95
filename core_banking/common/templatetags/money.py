"""Template filters over ``core_banking.common.money_display`` (the one money display).

``{% load money %}`` then ``{{ payment.amount|money:payment.currency_id }}`` -> ``1,217.57 EUR``,
``{{ amount|amount:"JPY" }}`` -> ``1,218`` (no code, for a column headed by its currency),
``{{ rule.percentage|percent }}`` -> ``1.25%``, ``{{ rate|fx_rate }}`` -> ``1.0845``.
Registered for templates by ``backoffice/staff/templatetags/money.py`` (an installed app's
library); this module is the implementation so that the engine can use it without the back office.
"""

from __future__ import annotations

from django import template

from core_banking.common import money_display

register = template.Library()


def _safe(call, value, *args) -> str:
    try:
        return call(value, *args)
    except (ArithmeticError, ValueError, TypeError):
        return str(value)


@register.filter
def money(value, currency="") -> str:
    """An amount with its currency: rounded to the currency's exponent, grouped, with the code."""
    return _safe(money_display.format_money, value, currency)


@register.filter
def amount(value, currency="") -> str:
    """An amount in its currency's decimal places, grouped, without the code."""
    return _safe(money_display.format_amount, value, currency)


@register.filter
def percent(value) -> str:
    """A stored fraction as a percentage (``0.0125`` -> ``1.25%``)."""
    return _safe(money_display.format_percent, value)


@register.filter
def fx_rate(value) -> str:
    """An exchange rate as published, without trailing zeros."""
    return _safe(money_display.format_rate, value)
