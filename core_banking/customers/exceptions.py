"""Customer refusals, each with a stable code (see core_banking.common.errors)."""

from core_banking.common.errors import Conflict, DomainError, NotFound


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    title = "Customer not found"


class KycNotApproved(DomainError):
    code = "kyc_not_approved"
    status = 422
    title = "The customer's KYC is not approved"


class CustomerNotActive(DomainError):
    code = "customer_not_active"
    status = 422
    title = "The customer is not active"


class InvalidCustomer(DomainError):
    code = "invalid_customer"
    status = 422
    title = "The customer data is not valid"


class CustomerHasOpenAccounts(Conflict):
    code = "customer_has_open_accounts"
    title = "The customer still has open accounts"
