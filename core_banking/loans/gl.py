"""The bank's general-ledger accounts the loans book through, per currency.

* Interest: ``core_banking.interest.gl.interest_accounts(currency)``: ``receivable`` (accrued
  interest receivable, asset), ``income`` (interest income) and ``penalty_income`` (late fees).
* Servicing fees: the bank's fee-income booking account of the currency
  (``payments.BookingAccount``, purpose ``fee_income``), the account every other fee goes to.
* Credit losses: ``LOAN-LOSS-<CUR>`` (expense), created on first use, safely under concurrency,
  the way the interest accounts are.
"""

from __future__ import annotations

from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, LedgerAccount
from core_banking.payments.exceptions import NoBookingAccount
from core_banking.payments.models import BookingAccount

CREDIT_LOSS_PREFIX = "LOAN-LOSS"


def credit_loss_account(currency: str) -> LedgerAccount:
    code = f"{CREDIT_LOSS_PREFIX}-{currency}"
    account = LedgerAccount.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        return ledger.ledger_account_create(code=code, name=f"Loan credit losses {currency}",
                                            type=AccountType.EXPENSE, currency=currency)
    except ledger_exc.DuplicateAccountCode:  # a concurrent creator won
        return LedgerAccount.objects.get(code=code)


def fee_income_account(currency: str) -> LedgerAccount:
    booking = (BookingAccount.objects.select_related("ledger_account")
               .filter(purpose=BookingAccount.Purpose.FEE_INCOME, currency_id=currency).first())
    if booking is None:
        raise NoBookingAccount(f"the bank has no fee-income booking account in {currency}", currency=currency)
    return booking.ledger_account
