"""The seams through which the back office takes part in a payment, without the engine
importing it (the way Django plugs in password validators):

``CORE_BANKING_FEE_POLICY`` — dotted path to ``fees_for(intent, *, preview=False) -> list[FeeCharge]``.
    Called inside the payment's transaction (``preview=False``) once the payment row exists and
    its accounts are share-locked; it may lock and update its own usage counters there (they
    roll back with the payment). With ``preview=True`` it must not write anything. Fee amounts
    are in the currency of the account charged (``intent.fee_account``).

``CORE_BANKING_PAYMENT_CHECKS`` — dotted paths to ``check(intent) -> Review | None``, run in
    order, in the same transaction, after the fee policy. A check refuses a payment by raising a
    ``core_banking.common.errors.DomainError`` (the transaction rolls back, nothing is written);
    it asks for human review by returning ``Review`` (the funds are held until a reviewer
    releases or rejects the payment); ``None`` lets it through.

``payment_released`` — a signal sent inside the transaction that rejects a payment held for
    review or returns a posted one, so that the back office can give back what the payment had
    used (limit usage, free fee allowances). Receivers take ``payment`` and ``intent``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.dispatch import Signal
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from core_banking.accounts.models import Account

    from .models import Payment

payment_released = Signal()


@dataclass(frozen=True)
class PaymentIntent:
    """What a payment asks for, as the seams see it."""

    kind: str  # Payment.Kind
    event: str  # FeeEvent charged for it
    channel: str  # Channel
    amount: Decimal
    currency: str
    business_date: dt.date
    debtor: Account | None = None
    creditor: Account | None = None
    counterparty_iban: str = ""
    counterparty_name: str = ""
    counterparty_country: str = ""
    target_amount: Decimal | None = None  # FX: the amount bought
    target_currency: str = ""
    payment: Payment | None = None  # the saved row (None for a preview)

    @property
    def fee_account(self) -> Account | None:
        """Who pays the fee: the payer, or the receiver of incoming money and cash deposits."""
        return self.creditor if self.kind in ("incoming", "cash_deposit") else self.debtor

    @property
    def customer_ids(self) -> list[int]:
        return sorted({a.customer_id for a in (self.debtor, self.creditor) if a is not None})


@dataclass(frozen=True)
class FeeCharge:
    """One fee for one payment, in the currency of the account charged."""

    code: str  # stable id of what charged it, e.g. "STANDARD/outgoing_payment"
    amount: Decimal
    currency: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Review:
    """A check's request that a human look at the payment before it posts."""

    code: str  # stable id of the rule, e.g. "large_amount"
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def no_fees(intent: PaymentIntent, *, preview: bool = False) -> list[FeeCharge]:
    """The engine's own default: nothing is charged."""
    return []


@cache
def _fee_policy(path: str) -> Callable[..., list[FeeCharge]]:
    return import_string(path)


@cache
def _checks(paths: tuple[str, ...]) -> list[Callable[[PaymentIntent], Review | None]]:
    return [import_string(path) for path in paths]


def fee_policy() -> Callable[..., list[FeeCharge]]:
    return _fee_policy(getattr(settings, "CORE_BANKING_FEE_POLICY", "core_banking.payments.seams.no_fees"))


def payment_checks() -> list[Callable[[PaymentIntent], Review | None]]:
    return _checks(tuple(getattr(settings, "CORE_BANKING_PAYMENT_CHECKS", ())))
