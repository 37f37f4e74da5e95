"""The seams through which the back office takes part in a payment, without the engine
importing it (the way Django plugs in password validators). Both are declared in
``core_banking.common.seams`` and listed in ``docs/architecture.md``.

``CORE_BANKING_FEE_POLICY`` — dotted path to the fee policy: an object with
    ``fees_for(intent, *, preview=False) -> list[FeeCharge]`` and optionally
    ``give_back(payment, intent)``, or a plain ``fees_for`` function. ``fees_for`` is called
    inside the payment's transaction (``preview=False``) once the payment row exists and its
    accounts are share-locked; it may lock and update its own usage counters there (they roll
    back with the payment). With ``preview=True`` it must not write anything. Fee amounts are in
    the currency of the account charged (``intent.fee_account``).

``CORE_BANKING_PAYMENT_CHECKS`` — dotted paths to checks: objects with
    ``check(intent) -> Review | None`` and optionally ``give_back(payment, intent)``, or plain
    ``check`` functions, run in order, in the same transaction, after the fee policy. A check
    refuses a payment by raising a ``core_banking.common.errors.DomainError`` (the transaction
    rolls back, nothing is written); it asks for human review by returning ``Review`` (the funds
    are held until a reviewer releases or rejects the payment); ``None`` lets it through.

``plan(intent, reads, writes) -> finish`` — optional, on the fee policy and on each check: the
    same work in the payment's own round trips (``services/create.py``). ``plan`` adds the
    statements it must read (and lock) to ``reads`` (a ``core_banking.common.sqlbatch.Batch``
    sent in one round trip with the ledger's reads and the other plug-ins'), and returns
    ``finish``. The engine calls ``finish()`` once the reads ran; it decides from their rows
    (a refusal is raised there, before anything is written), adds its writes to ``writes``
    (sent in one round trip with the payment, its entry, history, events and audit; a guarded
    write that finds a concurrent change raises ``ConcurrentChange`` from a ``writes.then``
    check, and the payment runs again), and returns what ``fees_for`` or ``check`` returns.
    ``intent.payment`` has its id but is not saved before ``writes`` run (foreign keys to it are
    checked at commit). A plug-in without ``plan`` is called the plain way after the reads, with
    round trips of its own.

``give_back(payment, intent)`` — called by the payments service, inside the transaction that
    rejects a payment held for review or returns a posted one, on the fee policy and then on
    each configured check that has it (the order they took their usage in), so that each gives
    back what the payment had used (limit usage, free fee allowances). Only what is configured
    is called: a check removed from the setting gives nothing back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core_banking.common.seams import seam, seam_all

if TYPE_CHECKING:
    from core_banking.accounts.models import Account
    from core_banking.common.sqlbatch import Batch

    from .models import Payment

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


def _method(plugged: Any, name: str) -> Callable[..., Any]:
    """The seam's method on a plugged-in object (or module); a plain function is that method."""
    method = getattr(plugged, name, None)
    if method is None and callable(plugged):
        return plugged
    if method is None:
        raise TypeError(f"{plugged!r} has no {name}() (see core_banking/payments/seams.py)")
    return method


def fee_policy() -> Callable[..., list[FeeCharge]]:
    """The configured policy's ``fees_for``."""
    return _method(seam("CORE_BANKING_FEE_POLICY"), "fees_for")


def payment_checks() -> list[Callable[[PaymentIntent], Review | None]]:
    """Each configured check's ``check``, in order."""
    return [_method(plugged, "check") for plugged in seam_all("CORE_BANKING_PAYMENT_CHECKS")]


def plans(intent: PaymentIntent, reads: Batch, writes: Batch) -> tuple[Callable[[], list[FeeCharge]],
                                                                      list[Callable[[], Review | None]]]:
    """The fee policy's and each check's part in a new payment's round trips: for those with
    ``plan``, what ``plan(intent, reads, writes)`` returns; for the others, their plain method,
    to be called after the reads ran. Returns (fees finish, [check finish, ...]) in order."""
    def planned(plugged: Any, name: str) -> Callable[[], Any]:
        if hasattr(plugged, "plan"):
            return plugged.plan(intent, reads, writes)
        method = _method(plugged, name)
        return (lambda: method(intent, preview=False)) if name == "fees_for" else (lambda: method(intent))

    return (planned(seam("CORE_BANKING_FEE_POLICY"), "fees_for"),
            [planned(plugged, "check") for plugged in seam_all("CORE_BANKING_PAYMENT_CHECKS")])


def give_back(*, payment: Payment, intent: PaymentIntent) -> None:
    """Tell the fee policy and then each check that ``payment`` was rejected or returned, so
    that each gives back what it had counted (those without a ``give_back`` have nothing to)."""
    for plugged in (seam("CORE_BANKING_FEE_POLICY"), *seam_all("CORE_BANKING_PAYMENT_CHECKS")):
        method = getattr(plugged, "give_back", None)
        if method is not None:
            method(payment, intent)
