"""How a repayment is split over what is due: pure, no database.

``allocate(amount, dues, order)`` pays the components in the product's order (by default fees,
then penalties, then interest, then principal), and within a component the instalments oldest
first. That is, all the fees of every instalment due are paid before any penalty, all penalties
before any interest, and so on ("horizontal" allocation). Paying less than everything due is
allowed; paying more is the caller's refusal to make.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .schedule import check_allocation_order

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Due:
    """What is still unpaid of one instalment, per component; ``key`` identifies it to the caller."""

    key: int
    unpaid: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class Part:
    key: int
    component: str
    amount: Decimal


def total_unpaid(dues: Sequence[Due]) -> Decimal:
    return sum((amount for due in dues for amount in due.unpaid.values()), ZERO)


def allocate(amount: Decimal, dues: Sequence[Due], order: Sequence[str]) -> list[Part]:
    """The parts ``amount`` pays, in payment order; they sum to ``min(amount, total unpaid)``.
    ``dues`` must be oldest first."""
    if amount < 0:
        raise ValueError("a repayment is not negative")
    parts, left = [], amount
    for component in check_allocation_order(order):
        for due in dues:
            if left <= 0:
                return parts
            take = min(left, due.unpaid.get(component, ZERO))
            if take > 0:
                parts.append(Part(key=due.key, component=component, amount=take))
                left -= take
    return parts
