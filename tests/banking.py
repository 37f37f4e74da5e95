"""Builders for the product layer in tests: customers, products, accounts, the bank's booking
accounts and FX rates, all made through the real services (no factories that skip the rules).

    bank = banking.setup_bank()               # GL headers, booking accounts, FX positions
    ada = banking.customer()                  # a person with KYC approved
    product = banking.product(bank)           # EUR current account product
    account = banking.account(ada, product)   # active, with a fresh IBAN
    banking.fund(bank, account, "100.00")     # cash deposit straight through the ledger
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from core_banking.accounts import services as accounts
from core_banking.customers import services as customers
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, LedgerAccount
from core_banking.payments.models import BookingAccount, FxRate

_n = itertools.count(1)


def _gl(code: str, name: str, type: str, currency: str = "EUR", **options) -> LedgerAccount:
    existing = LedgerAccount.objects.filter(code=code).first()
    return existing or ledger.ledger_account_create(code=code, name=name, type=type, currency=currency, **options)


def setup_bank(currencies=("EUR", "USD", "GBP")) -> SimpleNamespace:
    """The bank's chart: deposit and loan headers, and per currency a settlement account, cash,
    a sharded fee-income account and an FX position, registered as booking accounts."""
    deposits = _gl("2100", "Customer deposits", AccountType.LIABILITY, is_synthetic=True)
    loans = _gl("1400", "Customer loans", AccountType.ASSET, is_synthetic=True)
    bank = SimpleNamespace(deposits=deposits, loans=loans, settlement={}, cash={}, fees={}, fx={})
    for currency in currencies:
        bank.settlement[currency] = _gl(f"2200-{currency}", f"Settlement {currency}", AccountType.LIABILITY,
                                        currency, shard_count=4)
        bank.cash[currency] = _gl(f"1100-{currency}", f"Cash {currency}", AccountType.ASSET, currency)
        bank.fees[currency] = _gl(f"4100-{currency}", f"Fee income {currency}", AccountType.INCOME, currency,
                                  shard_count=8)
        bank.fx[currency] = _gl(f"FXPOS-{currency}", f"FX position {currency}", AccountType.EQUITY, currency)
        for purpose, ledger_account in ((BookingAccount.Purpose.SETTLEMENT, bank.settlement[currency]),
                                        (BookingAccount.Purpose.CASH, bank.cash[currency]),
                                        (BookingAccount.Purpose.FEE_INCOME, bank.fees[currency])):
            BookingAccount.objects.get_or_create(purpose=purpose, currency_id=currency,
                                                 defaults={"ledger_account": ledger_account})
    return bank


def customer(*, kyc: str = "approved", type: str = "person", **fields):
    n = next(_n)
    if type == "person":
        defaults = {"first_name": "Test", "last_name": f"Customer{n}", "date_of_birth": dt.date(1985, 5, 17),
                    "nationality": "NL", "email": f"customer{n}@example.test"}
    else:
        defaults = {"legal_name": f"Test Business {n} B.V.", "registration_number": f"KVK{n:08d}",
                    "incorporation_country": "NL", "email": f"business{n}@example.test"}
    c = customers.customer_create(type=type, **{**defaults, **fields},
                                  addresses=[{"line1": f"Teststraat {n}", "city": "Amsterdam", "country": "NL"}])
    if kyc != "not_started":
        c = as_system(customers.customer_set_kyc_status, customer_id=c.pk, status=kyc)
    return c


def product(bank, *, kind: str = "current", currency: str = "EUR", code: str | None = None, **fields):
    return accounts.product_create(
        code=code or f"P{next(_n)}", name=fields.pop("name", f"Test {kind} {currency}"), kind=kind,
        currency_id=currency, gl_account=bank.loans if kind == "loan" else bank.deposits, **fields,
    )


def account(customer_obj, product_obj, **options):
    return accounts.account_open(customer_id=customer_obj.pk, product_id=product_obj.pk, **options)


def fund(bank, account_obj, amount) -> None:
    """Put money on an account straight through the ledger (cash in), without a payment."""
    ledger.transfer(debit_account_id=bank.cash[account_obj.currency_id].pk,
                    credit_account_id=account_obj.ledger_account_id, amount=Decimal(str(amount)),
                    idempotency_key=f"fund-{next(_n)}")


def rate(base: str, quote: str, mid: str, spread: str = "0.005", valid_from=None) -> FxRate:
    return FxRate.objects.create(base_id=base, quote_id=quote, mid_rate=Decimal(mid), spread=Decimal(spread),
                                 valid_from=valid_from or timezone.now() - dt.timedelta(minutes=1))


def account_transition(**kwargs):
    """Test set-up: a lifecycle transition made by the engine itself, outside maker-checker (the
    tests of the gate call the services and routes directly)."""
    from core_banking.accounts import services as account_services
    from core_banking.common.maker_checker import system_execution

    with system_execution():
        return account_services.account_transition(**kwargs)


def account_close(**kwargs):
    """Test set-up: closing an account outside maker-checker (see ``account_transition``)."""
    from core_banking.accounts import services as account_services
    from core_banking.common.maker_checker import system_execution

    with system_execution():
        return account_services.account_close(**kwargs)


def as_system(service, /, **kwargs):
    """Test set-up through a guarded service (limits, tariffs, ...) outside maker-checker; the
    gate itself is tested through the routes and the approvals app."""
    from core_banking.common.maker_checker import system_execution

    with system_execution():
        return service(**kwargs)
