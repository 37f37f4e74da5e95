"""Loan refusals, each with a stable code (see core_banking.common.errors; never rename one).

Lifecycle refusals are ``transition_not_allowed`` (``core_banking.common.errors``); the ledger's
own (``insufficient_funds``, ``idempotency_conflict``, ``invalid_amount``) and the accounts'
(``account_frozen``, ``account_debit_blocked``, ``kyc_not_approved``, ...) pass through as they are.
"""

from core_banking.common.errors import Conflict, DomainError, NotFound, PermissionRefused


class LoanNotFound(NotFound):
    code = "loan_not_found"
    title = "Loan not found"


class LoanProductNotFound(NotFound):
    code = "loan_product_not_found"
    title = "Loan product not found"


class InvalidLoanProduct(DomainError):
    code = "invalid_loan_product"
    status = 422
    title = "The loan product definition is not valid"


class LoanProductNotAvailable(DomainError):
    code = "loan_product_not_available"
    status = 422
    title = "The loan product takes no new applications"


class InvalidLoanApplication(DomainError):
    code = "invalid_loan_application"
    status = 422
    title = "The loan application is not valid"


class LoanAmountOutOfRange(InvalidLoanApplication):
    code = "loan_amount_out_of_range"
    title = "The amount is outside the product's limits"


class LoanTermOutOfRange(InvalidLoanApplication):
    code = "loan_term_out_of_range"
    title = "The term is outside the product's limits"


class LoanRateOutOfRange(InvalidLoanApplication):
    code = "loan_rate_out_of_range"
    title = "The rate is outside the product's range"


class LoanPermissionRefused(PermissionRefused):
    code = "permission_denied"


class SelfApprovalRefused(PermissionRefused):
    code = "loan_self_approval"
    title = "Whoever applied for a loan cannot approve it"


class NothingDue(DomainError):
    code = "loan_nothing_due"
    status = 422
    title = "Nothing is due on this loan"


class RepaymentExceedsDue(DomainError):
    code = "repayment_exceeds_due"
    status = 422
    title = "The repayment is more than what is due; repay early to pay ahead"


class LoanOverdue(Conflict):
    code = "loan_overdue"
    title = "The loan has amounts due; repay them before a partial early repayment"


class InvalidEarlyRepayment(DomainError):
    code = "invalid_early_repayment"
    status = 422
    title = "The early repayment is not valid"


class LoanNotRunning(Conflict):
    code = "loan_not_running"
    title = "The loan is not disbursed, or already closed"
