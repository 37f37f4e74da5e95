import pytest

from compliance.monitoring import services
from core_banking.common.maker_checker import system_execution
from core_banking.payments import services as payments
from tests import banking

CHECKS = ["backoffice.limits.checks.LIMITS", "compliance.monitoring.checks.MONITORING"]
IBAN_DE = "DE89370400440532013000"


@pytest.fixture
def product(bank):
    return banking.product(bank)


@pytest.fixture
def account(ada, product):
    return banking.account(ada, product)


@pytest.fixture
def monitored(settings):
    settings.CORE_BANKING_PAYMENT_CHECKS = CHECKS
    settings.BANK_BASE_CURRENCY = "EUR"
    return settings


def rule(code, kind, parameters, *, score=50, action="alert", **version):
    with system_execution():
        return services.rule_create(code=code, kind=kind, name=code.title(), parameters=parameters, score=score,
                                    action=action, reason="test", **version)


_keys = iter(range(1, 10**9))


def pay(kind, account, amount, *, iban=IBAN_DE, currency="EUR", **fields):
    key = f"k{next(_keys)}"
    if kind in ("outgoing", "cash_withdrawal"):
        fields["debtor_account_id"] = account.pk
    else:
        fields["creditor_account_id"] = account.pk
    if kind in ("outgoing", "incoming"):
        fields.setdefault("counterparty_iban", iban)
        fields.setdefault("counterparty_name", "Someone")
    return payments.payment_create(kind=kind, amount=amount, currency=currency, idempotency_key=key, **fields)[0]
