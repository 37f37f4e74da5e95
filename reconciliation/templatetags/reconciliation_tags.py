"""Template filters of the reconciliation pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from reconciliation.selectors import amount_plain

register = template.Library()


@register.filter
def amount(value, exponent=2) -> str:
    """A stored amount as a plain decimal string: ``100.000000000000000000`` -> ``100.00``."""
    if value is None or value == "":
        return ""
    try:
        exponent = int(exponent)
    except (TypeError, ValueError):
        exponent = 2
    return format(amount_plain(Decimal(value), exponent), "f")
