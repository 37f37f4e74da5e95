"""Ledger refusals, each with a stable code (see core_banking.common.errors)."""

from core_banking.common.errors import Conflict, DomainError, NotFound
from core_banking.common.idempotency import IdempotencyConflict
from core_banking.common.money import CurrencyMismatch, InvalidAmount

__all__ = [
    "AccountNotFound",
    "AccountNotPostable",
    "AlreadyReversed",
    "CurrencyMismatch",
    "DuplicateAccountCode",
    "EntryNotFound",
    "HoldNotFound",
    "HoldNotPending",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidEntry",
    "UnbalancedEntry",
    "UnknownCurrency",
]


class UnknownCurrency(DomainError):
    """A currency code that is not in the currency table, or not active (no new business in it)."""

    code = "unknown_currency"
    status = 400
    title = "The currency is not known"


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"
    status = 422
    title = "Debits and credits do not balance"


class InvalidEntry(DomainError):
    code = "invalid_entry"
    status = 422
    title = "The journal entry is not valid"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status = 422
    title = "Insufficient funds"


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "Ledger account not found"


class AccountNotPostable(DomainError):
    code = "account_not_postable"
    status = 422
    title = "The account does not take postings"


class EntryNotFound(NotFound):
    code = "entry_not_found"
    title = "Journal entry not found"


class HoldNotFound(NotFound):
    code = "hold_not_found"
    title = "Hold not found"


class HoldNotPending(Conflict):
    code = "hold_not_pending"
    title = "The hold is no longer pending"


class AlreadyReversed(Conflict):
    code = "already_reversed"
    title = "The entry has already been reversed"


class PaymentEntry(Conflict):
    """The entry belongs to a payment: only the payment's own return or refund may undo it, so
    the payment and the books never disagree."""

    code = "payment_entry"
    title = "The entry belongs to a payment"


class DuplicateAccountCode(Conflict):
    code = "duplicate_account_code"
    title = "A ledger account with this code already exists"
