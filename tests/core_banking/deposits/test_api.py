"""The term-deposits API as a partner app and as staff use it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from core_banking.deposits import eod
from core_banking.deposits.models import DepositProduct, TermDeposit
from core_banking.ledger.selectors import account_balance
from tests.core_banking.api_auth import assert_problem, client_api, ensure_roles, staff_api, staff_user
from tests.core_banking.deposits.conftest import open_deposit, set_business_date

pytestmark = pytest.mark.django_db

BASE = "/api/v1/deposits/"
D = dt.date


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def app():
    return client_api(scopes=["deposits"])


def open_body(product, funding, **extra):
    return {"product_id": product.pk, "funding_account_id": funding.pk, "amount": "10000.00", "term": 6, **extra}


def post_open(api, body, key="k-1"):
    return api.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.both
def test_a_client_opens_a_deposit_and_a_retry_replays(app, funding, td_product):
    set_business_date(D(2025, 1, 15))
    response = post_open(app, open_body(td_product, funding, instruction="roll_principal"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["principal"], body["rate"], body["currency"]) == ("active", "10000.00", "0.03", "EUR")
    assert (body["start_date"], body["maturity_date"], body["instruction"]) == (
        "2025-01-15", "2025-07-15", "roll_principal")
    assert body["interest"] == {
        "accrued_interest": "0.000000000000000000", "accrued_interest_rounded": "0.00", "accrued_through": None,
        "interest_at_maturity": "148.77", "tax_at_maturity": "0.00", "net_interest_at_maturity": "148.77",
        "maturity_amount": "10148.77"}
    assert [c["to_status"] for c in body["status_changes"]] == ["active"]
    again = post_open(app, open_body(td_product, funding, instruction="roll_principal"))
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    assert_problem(post_open(app, open_body(td_product, funding, amount="10.00")), status=409,
                   code="idempotency_conflict")
    assert account_balance(account_id=funding.ledger_account_id).posted == Decimal("40000.00")


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"amount": "60000.00"}, 422, "insufficient_funds"),
    ({"amount": "50.00"}, 422, "deposit_amount_out_of_range"),
    ({"term": 99}, 422, "deposit_term_not_allowed"),
    ({"amount": "1.001"}, 400, "invalid_amount"),
    ({"amount": 100}, 400, "validation_error"),
    ({"rate": "2"}, 422, "invalid_deposit"),
    ({"rate": 0.03}, 400, "validation_error"),
    ({"product_id": 999999}, 404, "deposit_product_not_found"),
])
def test_refusals_are_problems_and_write_nothing(app, funding, td_product, change, status, code):
    set_business_date(D(2025, 1, 15))
    assert_problem(post_open(app, {**open_body(td_product, funding), **change}), status=status, code=code)
    assert not TermDeposit.objects.exists()
    assert account_balance(account_id=funding.ledger_account_id).posted == Decimal("50000.00")


def test_opening_needs_an_idempotency_key(app, funding, td_product):
    response = app.post(BASE, open_body(td_product, funding), format="json")
    assert_problem(response, status=400, code="idempotency_key_required")


def test_the_detail_shows_interest_to_date_and_the_accrual_rows(app, funding, td_product):
    set_business_date(D(2025, 1, 15))
    deposit_id = post_open(app, open_body(td_product, funding)).json()["id"]
    set_business_date(D(2025, 1, 24))
    eod.accrue(D(2025, 1, 24), deposit_id, deposit_id)
    detail = app.get(f"{BASE}{deposit_id}/").json()
    assert detail["accrued_through"] == "2025-01-24"
    assert detail["interest"]["accrued_interest"] == "8.219178082191780820"  # 10 days
    assert detail["interest"]["accrued_interest_rounded"] == "8.22"
    assert detail["interest"]["maturity_amount"] == "10148.77"
    rows = app.get(f"{BASE}{deposit_id}/accruals/", {"date_from": "2025-01-20", "page_size": 3}).json()
    assert [r["accrual_date"] for r in rows["results"]] == ["2025-01-20", "2025-01-21", "2025-01-22"]
    assert rows["results"][0]["amount"] == "0.821917808219178082"
    assert rows["results"][0]["daily_factor"].startswith("0.00273972602739726027397260273972602")
    assert_problem(app.get(f"{BASE}999999/accruals/"), status=404, code="deposit_not_found")


def test_the_list_filters(app, bank, funding, td_product):
    set_business_date(D(2025, 1, 15))
    short = open_deposit(td_product, funding, amount="1000.00", term=1)
    long = open_deposit(td_product, funding, amount="2000.00", term=12)
    everything = app.get(BASE).json()["results"]
    assert [d["number"] for d in everything] == [long.number, short.number]
    by_maturity = app.get(BASE, {"maturity_to": "2025-03-01"}).json()["results"]
    assert [d["number"] for d in by_maturity] == [short.number]
    by_number = app.get(BASE, {"number": long.number.lower()}).json()["results"]
    assert [d["id"] for d in by_number] == [long.pk]
    assert app.get(BASE, {"status": "matured"}).json()["results"] == []
    assert app.get(BASE, {"customer": funding.customer_id, "currency": "EUR"}).json()["results"][0]["id"] == long.pk
    assert_problem(app.get(BASE, {"status": "lost"}), status=400, code="validation_error")


def test_early_withdrawal_over_the_api(app, funding, td_product):
    set_business_date(D(2025, 1, 15))
    deposit_id = post_open(app, open_body(td_product, funding)).json()["id"]
    set_business_date(D(2025, 2, 14))
    url = f"{BASE}{deposit_id}/withdraw/"
    assert_problem(app.post(url, {"reason": ""}, format="json"), status=400, code="reason_required")
    response = app.post(url, {"reason": "customer needs the money"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    # 30 days: 24.6575... -> 24.66 interest, no penalty on this product.
    assert (body["status"], body["interest_paid"], body["penalty"], body["payout_amount"]) == (
        "withdrawn_early", "24.66", "0.00", "10024.66")
    assert [c["to_status"] for c in body["status_changes"]] == ["active", "withdrawn_early"]
    assert_problem(app.post(url, {"reason": "again"}, format="json"), status=409, code="transition_not_allowed")
    call_command("verify_ledger", verbosity=0)


def test_finance_defines_products_and_operations_may_not(bank, td_product):
    body = {"code": "TD-GBP-12M", "name": "Fixed 12 months GBP", "currency": "EUR",
            "account_product_id": td_product.account_product_id, "min_term": 12, "max_term": 12,
            "min_amount": "500.00", "max_amount": "100000.00", "default_rate": "0.041",
            "withholding_tax_rate": "0.15", "penalty_days": 90, "convention": "act_act_isda"}
    operations = staff_api(staff_user("operations"))
    assert_problem(operations.post(f"{BASE}products/", body, format="json"), status=403, code="permission_denied")
    finance = staff_api(staff_user("finance"))
    response = finance.post(f"{BASE}products/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["default_rate"], created["withholding_tax_rate"], created["penalty_days"],
            created["max_amount"], created["account_product"]) == (
        "0.041", "0.15", 90, "100000.00", td_product.account_product.code)
    bad = {**body, "code": "TD-BAD", "currency": "USD"}
    assert_problem(finance.post(f"{BASE}products/", bad, format="json"), status=422, code="invalid_deposit_product")
    listed = operations.get(f"{BASE}products/", {"is_active": "true"}).json()
    assert {p["code"] for p in listed} == {"TD-EUR", "TD-GBP-12M"}
    assert DepositProduct.objects.count() == 2


@pytest.mark.parametrize(("role", "can_view", "can_open", "can_withdraw"), [
    ("operations", True, True, True),
    ("support_agent", True, False, False),
    ("finance", True, False, False),
    ("compliance_officer", True, False, False),
    ("compliance_reviewer", False, False, False),
    ("administrator", False, False, False),
])
def test_each_role_does_what_it_may_and_nothing_else(funding, td_product, role, can_view, can_open, can_withdraw):
    set_business_date(D(2025, 1, 15))
    deposit = open_deposit(td_product, funding, amount="1000.00")
    api = staff_api(staff_user(role))
    viewed = api.get(f"{BASE}{deposit.pk}/")
    assert viewed.status_code == (200 if can_view else 403)
    opened = post_open(api, open_body(td_product, funding, amount="500.00"), key=f"{role}-open")
    if can_open:
        assert opened.status_code == 201, opened.content
    else:
        assert_problem(opened, status=403, code="permission_denied")
    withdrawn = api.post(f"{BASE}{deposit.pk}/withdraw/", {"reason": "test"}, format="json")
    if can_withdraw:
        assert withdrawn.status_code == 200, withdrawn.content
    else:
        assert_problem(withdrawn, status=403, code="permission_denied")
        deposit.refresh_from_db()
        assert deposit.status == "active"
    assert TermDeposit.objects.count() == (2 if can_open else 1)


@pytest.mark.both
def test_a_token_without_the_deposits_scope_is_refused(funding, td_product):
    payments_only = client_api(scopes=["payments"])
    assert_problem(payments_only.get(BASE), status=403, code="permission_denied")
    assert_problem(post_open(payments_only, open_body(td_product, funding)), status=403, code="permission_denied")
    assert not TermDeposit.objects.exists()


def test_the_service_checks_the_permission_too(funding, td_product):
    from core_banking.deposits import services

    set_business_date(D(2025, 1, 15))
    support = staff_user("support_agent")
    with pytest.raises(Exception) as refused:
        services.deposit_open(product_id=td_product.pk, funding_account_id=funding.pk, amount=Decimal("500.00"),
                              term=6, idempotency_key="x", actor=support)
    assert refused.value.code == "permission_denied"
    assert not TermDeposit.objects.exists()


def test_the_schema_documents_the_deposit_endpoints_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ours = [str(w) for w in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache) if "deposits" in str(w)]
    assert ours == [], ours
    validate_schema(schema)
    paths = schema["paths"]
    assert {"/api/v1/deposits/", "/api/v1/deposits/products/", "/api/v1/deposits/{deposit_id}/",
            "/api/v1/deposits/{deposit_id}/withdraw/", "/api/v1/deposits/{deposit_id}/accruals/"} <= set(paths)
    assert paths["/api/v1/deposits/"]["post"]["operationId"] == "deposits_open"
    assert "application/problem+json" in paths["/api/v1/deposits/"]["post"]["responses"]["422"]["content"]
