"""The loans API: a whole lifecycle as a partner app and staff drive it, problem+json codes,
permission refusals, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from core_banking.ledger.selectors import account_balance
from core_banking.loans.models import Loan
from tests.core_banking.api_auth import assert_problem, client_api, staff_api, staff_user

from .conftest import roll_to

pytestmark = pytest.mark.django_db
LOANS = "/api/v1/loans/"


@pytest.fixture
def app(maker):  # maker: the role groups exist
    return client_api(scopes=["loans"])


def apply_body(product, ada, account, **extra):
    return {"customer": ada.pk, "product": product.pk, "account": account.pk, "principal": "10000.00", "term": 12,
            **extra}


def test_a_loan_from_application_to_payoff_through_the_api(app, start, loan_product, ada, current_account, maker,
                                                           checker):
    products = app.get(f"{LOANS}products/")
    assert products.status_code == 200 and products.json()["results"][0]["code"] == "PL-EUR"

    applied = app.post(LOANS, apply_body(loan_product, ada, current_account), format="json")
    assert applied.status_code == 201, applied.content
    loan_id = applied.json()["id"]
    assert applied.json()["status"] == "applied" and applied.json()["schedule"] == []

    approved = staff_api(checker).post(f"{LOANS}{loan_id}/approve/", {"reason": "affordable"}, format="json")
    assert approved.status_code == 200, approved.content
    schedule = approved.json()["schedule"]
    assert len(schedule) == 12 and schedule[0]["total_due"] == "888.49" and schedule[0]["interest_due"] == "100.00"

    operations = staff_api(maker)
    disbursed = operations.post(f"{LOANS}{loan_id}/disburse/", {}, format="json")
    assert disbursed.status_code == 200 and disbursed.json()["status"] == "disbursed"
    assert disbursed.json()["balances"]["principal_outstanding"] == "10000.00"

    first_due = dt.date.fromisoformat(schedule[0]["due_date"])
    roll_to(first_due)
    detail = app.get(f"{LOANS}{loan_id}/").json()
    assert detail["balances"]["amount_due"] == "888.49" and detail["balances"]["overdue_amount"] == "0.00"

    paid = app.post(f"{LOANS}{loan_id}/repayments/", {"amount": "888.49"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert paid.status_code == 201, paid.content
    assert [(a["component"], a["amount"]) for a in paid.json()["allocations"]] == [
        ("interest", "100.00"), ("principal", "788.49")]
    replay = app.post(f"{LOANS}{loan_id}/repayments/", {"amount": "888.49"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == paid.json()["id"]
    assert len(app.get(f"{LOANS}{loan_id}/repayments/").json()) == 1

    partial = app.get(f"{LOANS}{loan_id}/early-repayment/", {"amount": "1000.00"})
    assert partial.status_code == 200 and partial.json()["kind"] == "early_partial"
    assert len(partial.json()["schedule"]) == 11
    quote = app.get(f"{LOANS}{loan_id}/early-repayment/")
    assert quote.status_code == 200 and quote.json()["total"] == "9211.51"  # nothing accrued yet in this period
    payoff = app.post(f"{LOANS}{loan_id}/early-repayment/", {}, format="json", HTTP_IDEMPOTENCY_KEY="payoff")
    assert payoff.status_code == 201 and payoff.json()["amount"] == "9211.51"

    final = app.get(f"{LOANS}{loan_id}/").json()
    assert final["status"] == "repaid" and final["balances"]["principal_outstanding"] == "0.00"
    assert [c["to_status"] for c in final["status_changes"]] == ["applied", "approved", "disbursed", "repaid"]
    assert account_balance(account_id=current_account.ledger_account_id).posted == Decimal("900.00")
    listing = app.get(LOANS, {"customer": ada.pk, "status": "repaid"}).json()["results"]
    assert [loan["id"] for loan in listing] == [loan_id]
    call_command("verify_ledger")


def test_refusals_are_problems_with_stable_codes(app, start, loan_product, ada, current_account, maker, checker,
                                                 loan):
    assert_problem(app.post(LOANS, apply_body(loan_product, ada, current_account, principal="100.00"),
                            format="json"), status=422, code="loan_amount_out_of_range")
    assert_problem(app.post(LOANS, apply_body(loan_product, ada, current_account, term=100), format="json"),
                   status=422, code="loan_term_out_of_range")
    assert_problem(app.post(LOANS, apply_body(loan_product, ada, current_account, principal=10000), format="json"),
                   status=400, code="validation_error")
    assert_problem(app.get(f"{LOANS}999999/"), status=404, code="loan_not_found")
    assert_problem(staff_api(checker).post(f"{LOANS}{loan.pk}/approve/", {}, format="json"), status=409,
                   code="transition_not_allowed")
    assert_problem(app.post(f"{LOANS}{loan.pk}/repayments/", {"amount": "10.00"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="x"), status=422, code="loan_nothing_due")
    assert_problem(app.post(f"{LOANS}{loan.pk}/repayments/", {"amount": "10.00"}, format="json"), status=400,
                   code="idempotency_key_required")
    assert_problem(staff_api(checker).post(f"{LOANS}{loan.pk}/write-off/", {}, format="json"), status=400,
                   code="validation_error")
    roll_to(loan.first_due_date)
    assert_problem(app.post(f"{LOANS}{loan.pk}/repayments/", {"amount": "900.00"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="y"), status=422, code="repayment_exceeds_due")
    assert_problem(app.get(f"{LOANS}{loan.pk}/early-repayment/", {"amount": "100.00"}), status=409,
                   code="loan_overdue")


def test_the_maker_cannot_approve_through_the_api(start, loan_product, ada, current_account, maker):
    both = staff_user("operations")
    staff_user_finance = staff_user("finance", username=f"{both.username}-f")
    both.groups.add(*staff_user_finance.groups.all())
    api = staff_api(both)
    loan_id = api.post(LOANS, apply_body(loan_product, ada, current_account), format="json").json()["id"]

    assert_problem(api.post(f"{LOANS}{loan_id}/approve/", {}, format="json"), status=403, code="loan_self_approval")
    assert Loan.objects.get(pk=loan_id).status == "applied"


@pytest.mark.both
def test_permissions_follow_the_roles(start, loan_product, ada, current_account, maker, checker, loan):
    support = staff_api(staff_user("support_agent"))
    assert support.get(f"{LOANS}{loan.pk}/").status_code == 200
    assert_problem(support.post(LOANS, apply_body(loan_product, ada, current_account), format="json"),
                   status=403, code="permission_denied")
    operations = staff_api(maker)
    assert_problem(operations.post(f"{LOANS}{loan.pk}/write-off/", {"reason": "x"}, format="json"), status=403,
                   code="permission_denied")
    assert_problem(staff_api(checker).post(f"{LOANS}{loan.pk}/repayments/", {"amount": "1.00"}, format="json",
                                           HTTP_IDEMPOTENCY_KEY="z"), status=403, code="permission_denied")
    assert_problem(operations.post(f"{LOANS}products/", {}, format="json"), status=403, code="permission_denied")
    assert_problem(client_api(scopes=["payments"]).get(f"{LOANS}{loan.pk}/"), status=403, code="permission_denied")
    assert_problem(client_api(scopes=["loans"]).post(f"{LOANS}{loan.pk}/disburse/", {}, format="json"), status=403,
                   code="permission_denied")


def test_finance_defines_a_product_through_the_api(checker, loan_account_product):
    body = {"code": "CAR-EUR", "name": "Car loan", "currency": "EUR", "account_product": loan_account_product.pk,
            "amortisation": "equal_principal", "rate_default": "0.07", "rate_min": "0.05", "rate_max": "0.09",
            "term_min": 12, "term_max": 84, "amount_min": "1000.00", "amount_max": "60000.00",
            "allocation_order": ["interest", "principal", "fees", "penalties"], "bucket_boundaries": [30, 90]}
    api = staff_api(checker)

    created = api.post(f"{LOANS}products/", body, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["allocation_order"] == ["interest", "principal", "fees", "penalties"]
    bad = api.post(f"{LOANS}products/", {**body, "code": "X", "allocation_order": ["fees"] * 4}, format="json")
    assert_problem(bad, status=422, code="invalid_loan_product")


def test_the_loans_api_documents_itself_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)

    warnings = {k: v for k, v in GENERATOR_STATS._warn_cache.items() if "loans" in str(k).lower()}
    assert not warnings, warnings
    validate_schema(schema)
    assert {"/api/v1/loans/", "/api/v1/loans/{loan_id}/", "/api/v1/loans/{loan_id}/approve/",
            "/api/v1/loans/{loan_id}/disburse/", "/api/v1/loans/{loan_id}/repayments/",
            "/api/v1/loans/{loan_id}/early-repayment/", "/api/v1/loans/{loan_id}/write-off/",
            "/api/v1/loans/products/", "/api/v1/loans/products/{product_id}/"} <= set(schema["paths"])
    repay = schema["paths"]["/api/v1/loans/{loan_id}/repayments/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in repay["parameters"]}
    assert "application/problem+json" in repay["responses"]["422"]["content"]
