"""Term-deposit refusals, each with a stable code (see core_banking.common.errors). Ledger refusals
(``insufficient_funds``, ``idempotency_conflict``, ``invalid_amount``, ``currency_mismatch``) come
from ``core_banking.ledger.exceptions``, account lifecycle refusals (``account_frozen``, ...) from
``core_banking.accounts.exceptions``, customer refusals (``kyc_not_approved``, ...) from
``core_banking.customers.exceptions``."""

from core_banking.common.errors import Conflict, DomainError, NotFound, ValidationFailed


class DepositProductNotFound(NotFound):
    code = "deposit_product_not_found"
    title = "Deposit product not found"


class InvalidDepositProduct(DomainError):
    code = "invalid_deposit_product"
    status = 422
    title = "The deposit product definition is not valid"


class DepositProductNotAvailable(DomainError):
    code = "deposit_product_not_available"
    status = 422
    title = "The deposit product opens no new deposits"


class DepositNotFound(NotFound):
    code = "deposit_not_found"
    title = "Term deposit not found"


class InvalidDeposit(DomainError):
    code = "invalid_deposit"
    status = 422
    title = "The term deposit request is not valid"


class TermNotAllowed(DomainError):
    code = "deposit_term_not_allowed"
    status = 422
    title = "The product does not offer this term"


class AmountOutOfRange(DomainError):
    code = "deposit_amount_out_of_range"
    status = 422
    title = "The amount is outside what the product accepts"


class EarlyWithdrawalNotAllowed(Conflict):
    code = "early_withdrawal_not_allowed"
    title = "This deposit cannot be withdrawn before maturity"


class DepositNotActive(Conflict):
    code = "deposit_not_active"
    title = "The term deposit is no longer active"


class DepositMatured(Conflict):
    code = "deposit_matured"
    title = "The term deposit has reached maturity; the end of day pays it out"


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    title = "A reason is required"


class MaturityFailed(DomainError):
    """Raised by ``eod.mature`` after the rest of its chunk is done, naming the deposits that
    could not be settled (each keeps its own refusal; a re-run retries only those)."""

    code = "deposit_maturity_failed"
    status = 422
    title = "Some deposits could not be settled at maturity"
