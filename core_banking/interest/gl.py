"""The bank's own general-ledger accounts for interest, one set per currency.

Savings interest, term-deposit interest and loan interest all book through these accounts:

* ``expense``      interest expense (expense): what the bank pays on customers' credit balances;
* ``payable``      accrued interest payable (liability): accrued, not yet paid to customers;
* ``income``       interest income (income): what customers pay on loans and overdrafts;
* ``receivable``   accrued interest receivable (asset): accrued, not yet charged to customers;
* ``tax_payable``  withholding tax payable (liability): withheld from credit interest, owed to
  the tax authority;
* ``penalty_income`` penalty and early-withdrawal income (income).

Each is an unconstrained account with several balance shards: the end-of-day chunks post to
them concurrently, and shards keep those postings from queueing on one row (the ledger's
hot-account design). They are created on first use by code (``INT-EXP-EUR``, ...), safely
under concurrency: a code taken by a concurrent creator is read back.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, LedgerAccount

SHARDS = 8

# purpose -> (code prefix, name, ledger account type)
_PURPOSES: dict[str, tuple[str, str, str]] = {
    "expense": ("INT-EXP", "Interest expense", AccountType.EXPENSE),
    "payable": ("INT-ACCR-PAY", "Accrued interest payable", AccountType.LIABILITY),
    "income": ("INT-INC", "Interest income", AccountType.INCOME),
    "receivable": ("INT-ACCR-REC", "Accrued interest receivable", AccountType.ASSET),
    "tax_payable": ("WHT-PAY", "Withholding tax payable", AccountType.LIABILITY),
    "penalty_income": ("PEN-INC", "Penalty and early-withdrawal income", AccountType.INCOME),
}


@dataclass(frozen=True, slots=True)
class InterestAccounts:
    currency: str
    expense: LedgerAccount
    payable: LedgerAccount
    income: LedgerAccount
    receivable: LedgerAccount
    tax_payable: LedgerAccount
    penalty_income: LedgerAccount


def gl_code(purpose: str, currency: str) -> str:
    return f"{_PURPOSES[purpose][0]}-{currency}"


def _get_or_create(purpose: str, currency: str) -> LedgerAccount:
    code = gl_code(purpose, currency)
    account = LedgerAccount.objects.filter(code=code).first()
    if account is not None:
        return account
    _, name, type_ = _PURPOSES[purpose]
    try:
        return ledger.ledger_account_create(code=code, name=f"{name} {currency}", type=type_, currency=currency,
                                            shard_count=SHARDS)
    except ledger_exc.DuplicateAccountCode:  # a concurrent creator won
        return LedgerAccount.objects.get(code=code)


def interest_accounts(currency: str) -> InterestAccounts:
    """The interest GL accounts of ``currency``, created on first use."""
    return InterestAccounts(currency=currency, **{purpose: _get_or_create(purpose, currency) for purpose in _PURPOSES})
