"""Term deposits in the admin: pages render, products go through the service, deposits are
read-only, and early withdrawal is an action with a reason that calls the service."""

import datetime as dt
from decimal import Decimal

import pytest

from core_banking.deposits import eod
from core_banking.deposits.models import DepositProduct, TermDeposit
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_user
from tests.core_banking.deposits.conftest import open_deposit, set_business_date

pytestmark = pytest.mark.django_db

DEPOSITS = "/admin/deposits/termdeposit/"
PRODUCTS = "/admin/deposits/depositproduct/"
ACCRUALS = "/admin/deposits/depositaccrual/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def deposit(funding, td_product):
    set_business_date(dt.date(2025, 1, 15))
    deposit = open_deposit(td_product, funding, amount="1000.00")
    set_business_date(dt.date(2025, 1, 20))
    eod.accrue(dt.date(2025, 1, 20), deposit.pk, deposit.pk)
    return deposit


def test_pages_render_and_deposits_cannot_be_added_or_changed(client, deposit):
    sign_in(client, staff_user(superuser=True))
    assert client.get(DEPOSITS).status_code == 200
    page = client.get(f"{DEPOSITS}{deposit.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "6 daily rows" in text and "pays 1,014.88 EUR" in text
    assert client.get(f"{ACCRUALS}?deposit__id__exact={deposit.pk}").status_code == 200
    assert client.get(f"{DEPOSITS}add/").status_code == 403
    assert client.post(f"{DEPOSITS}{deposit.pk}/change/", {"principal": "1.00"}).status_code == 403
    assert TermDeposit.objects.get(pk=deposit.pk).principal == Decimal("1000.00")


def test_the_withdraw_action_needs_a_reason_and_the_permission(client, deposit):
    support = sign_in(client, staff_user("support_agent"))
    actions = support.get(DEPOSITS)
    assert actions.status_code == 200 and b"withdraw_early" not in actions.content
    client.logout()
    operator = sign_in(client, staff_user("operations"))
    body = {"action": "withdraw_early", "_selected_action": [deposit.pk], "reason": ""}
    operator.post(DEPOSITS, body, follow=True)
    assert TermDeposit.objects.get(pk=deposit.pk).status == "active"
    operator.post(DEPOSITS, {**body, "reason": "customer called"}, follow=True)
    deposit.refresh_from_db()
    assert (deposit.status, deposit.status_changes.last().reason) == ("withdrawn_early", "customer called")


def test_finance_adds_a_product_through_the_service(client, bank, td_product):
    sign_in(client, staff_user("finance"))
    form = {"code": "TD-ADMIN", "name": "Admin product", "currency": "EUR",
            "account_product": td_product.account_product_id, "convention": "act_360", "term_unit": "days",
            "min_term": "30", "max_term": "365", "allowed_terms": "[30, 90]", "min_amount": "100",
            "max_amount": "", "default_rate": "0.02", "withholding_tax_rate": "0", "early_withdrawal_allowed": "on",
            "penalty_days": "0", "penalty_rate": "0", "description": "", "is_active": "on"}
    response = client.post(f"{PRODUCTS}add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = DepositProduct.objects.get(code="TD-ADMIN")
    assert (product.allowed_terms, product.min_amount) == ([30, 90], Decimal("100.00"))
    bad = client.post(f"{PRODUCTS}add/", {**form, "code": "TD-BAD", "allowed_terms": "[400]"})
    assert bad.status_code == 200 and b"between min_term and max_term" in bad.content
    assert not DepositProduct.objects.filter(code="TD-BAD").exists()
