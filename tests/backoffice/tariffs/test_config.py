"""The tariff configuration is cached per process and reloaded when it changes
(``backoffice/tariffs/config.py`` over ``core_banking.config.cache``)."""

from decimal import Decimal

import pytest

from backoffice.tariffs.config import tariff_config
from backoffice.tariffs.models import FeeRule
from core_banking.config import cache
from core_banking.payments import services as payments
from tests import banking

from .conftest import account_on, plan, rule

pytestmark = pytest.mark.django_db


def test_a_changed_fee_rule_is_read_again(bank):
    plan("STANDARD", rule(fixed_amount=Decimal("0.50")))
    cache.clear()
    first = tariff_config()
    assert tariff_config() is first
    FeeRule.objects.update(fixed_amount=Decimal("0.75"))
    assert tariff_config() is not first
    assert next(iter(tariff_config().rules.values())).fixed_amount == Decimal("0.75")


def test_a_payment_after_a_fee_change_pays_the_new_fee(bank, settings):
    settings.CORE_BANKING_FEE_POLICY = "backoffice.tariffs.policy.TARIFFS"
    plan("STANDARD", rule(fixed_amount=Decimal("0.50")))
    account = account_on(bank)
    banking.fund(bank, account, "100.00")

    def pay(key):
        return payments.payment_create(kind="outgoing", amount="10.00", currency="EUR", debtor_account_id=account.pk,
                                       counterparty_iban="DE89 3704 0044 0532 0130 00", counterparty_name="Stadtwerke",
                                       idempotency_key=key)[0]

    assert pay("before").fee_amount == Decimal("0.50")
    FeeRule.objects.update(fixed_amount=Decimal("0.80"))
    assert pay("after").fee_amount == Decimal("0.80")
