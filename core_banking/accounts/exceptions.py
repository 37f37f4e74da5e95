"""Account refusals, each with a stable code (see core_banking.common.errors)."""

from core_banking.common.errors import Conflict, DomainError, NotFound


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "Account not found"


class ProductNotFound(NotFound):
    code = "product_not_found"
    title = "Product not found"


class ProductNotAvailable(DomainError):
    code = "product_not_available"
    status = 422
    title = "The product is not available"


class InvalidProduct(DomainError):
    code = "invalid_product"
    status = 422
    title = "The product definition is not valid"


class InvalidAccount(DomainError):
    code = "invalid_account"
    status = 422
    title = "The account request is not valid"


class AccountStateRefused(DomainError):
    """Base of the lifecycle refusals a payment meets; ``code`` names the state."""

    status = 422


class AccountFrozen(AccountStateRefused):
    code = "account_frozen"
    title = "The account is frozen"


class AccountClosed(AccountStateRefused):
    code = "account_closed"
    title = "The account is closed"


class AccountNotActive(AccountStateRefused):
    code = "account_not_active"
    title = "The account is not active yet"


class AccountDebitBlocked(AccountStateRefused):
    code = "account_debit_blocked"
    title = "Debits to the account are blocked"


class AccountCreditBlocked(AccountStateRefused):
    code = "account_credit_blocked"
    title = "Credits to the account are blocked"


class AccountDormant(AccountStateRefused):
    code = "account_dormant"
    title = "The account is dormant; it must be reactivated before money leaves it"


class AccountNotEmpty(Conflict):
    code = "account_not_empty"
    title = "The account still has a balance or pending holds"


class InvalidIban(DomainError):
    code = "invalid_iban"
    status = 422
    title = "The IBAN is not valid"
