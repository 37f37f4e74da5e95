"""Payment refusals, each with a stable code (see core_banking.common.errors). Lifecycle refusals
(``account_frozen``, ``account_closed``, ...) come from ``core_banking.accounts.exceptions`` and
ledger refusals (``insufficient_funds``, ``currency_mismatch``, ``invalid_amount``,
``idempotency_conflict``) from ``core_banking.ledger.exceptions``."""

from core_banking.common.errors import Conflict, DomainError, NotFound


class InvalidPayment(DomainError):
    code = "invalid_payment"
    status = 422
    title = "The payment request is not valid"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "Payment not found"


class NoBookingAccount(DomainError):
    code = "no_booking_account"
    status = 422
    title = "The bank has no booking account for this purpose and currency"


class FxRateUnavailable(DomainError):
    code = "fx_rate_unavailable"
    status = 422
    title = "No FX rate is available for this currency pair"


class QuoteExpired(Conflict):
    code = "quote_expired"
    title = "The FX quote has expired"


class QuoteMismatch(DomainError):
    code = "quote_mismatch"
    status = 422
    title = "The FX quote does not match this conversion"


class QuoteNotFound(NotFound):
    code = "quote_not_found"
    title = "FX quote not found"


class PaymentStateRefused(Conflict):
    code = "payment_state_refused"
    title = "The payment is not in a state that allows this"
