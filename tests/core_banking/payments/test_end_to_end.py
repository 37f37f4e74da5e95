"""The issue's acceptance path over REST: a client opens an account for an approved customer,
pays, is charged the tariff's fee, and reads a statement that agrees with verify_ledger; and
limits hold when payments race through the engine."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from backoffice.limits import services as limits
from backoffice.limits.exceptions import LimitExceeded
from backoffice.tariffs.demo import load_demo as load_tariffs
from core_banking.customers.services import customer_set_kyc_status
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.verify import verify_ledger
from core_banking.payments import services as payments
from tests import banking
from tests.core_banking.ledger.interfaces import assert_problem, ensure_roles, token_api
from tests.core_banking.ledger.test_concurrency import WORKERS, run_concurrently

D = Decimal


@pytest.mark.django_db
def test_a_client_onboards_pays_is_charged_and_reads_its_statement(bank):
    ensure_roles()
    load_tariffs(stdout=io.StringIO())  # STANDARD: 5.00 for a payment ordered at the branch
    product = banking.product(bank, code="CUR-EUR", tariff_plan_code="STANDARD")
    app = token_api(scopes=["customers", "accounts", "payments"])

    created = app.post("/api/v1/customers/", {
        "type": "person", "first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1986-12-09",
        "nationality": "US", "email": "grace@example.test",
        "addresses": [{"kind": "residential", "line1": "Keizersgracht 1", "city": "Amsterdam", "country": "NL"}],
    }, format="json")
    assert created.status_code == 201, created.content
    customer_id = created.json()["id"]
    opening = {"customer": customer_id, "product": product.pk}
    assert_problem(app.post("/api/v1/accounts/", opening, format="json"), status=422, code="kyc_not_approved")

    banking.as_system(customer_set_kyc_status, customer_id=customer_id, status="approved")  # the review's decision
    opened = app.post("/api/v1/accounts/", opening, format="json")
    assert opened.status_code == 201, opened.content
    account = opened.json()

    salary = app.post("/api/v1/payments/", {
        "kind": "incoming", "amount": "1000.00", "currency": "EUR", "creditor_iban": account["iban"],
        "counterparty_iban": "DE89370400440532013000", "counterparty_name": "Employer GmbH",
        "end_to_end_id": "SAL-2026-11"}, format="json", HTTP_IDEMPOTENCY_KEY="salary")
    assert salary.status_code == 201, salary.content
    preview = app.post("/api/v1/payments/preview/", {
        "kind": "outgoing", "amount": "250.00", "currency": "EUR", "debtor_account_id": account["id"],
        "counterparty_iban": "NL91ABNA0417164300", "counterparty_name": "Landlord", "channel": "branch"},
        format="json").json()
    rent = app.post("/api/v1/payments/", {
        "kind": "outgoing", "amount": "250.00", "currency": "EUR", "debtor_account_id": account["id"],
        "counterparty_iban": "NL91ABNA0417164300", "counterparty_name": "Landlord", "remittance_info": "Rent",
        "channel": "branch"},
        format="json", HTTP_IDEMPOTENCY_KEY="rent")
    assert rent.status_code == 201, rent.content
    fee = D(rent.json()["fee_amount"])
    assert fee == D("5.00") and rent.json()["fees"][0]["code"].startswith("STANDARD")  # a payment order at the counter
    assert D(preview["fee_total"]) == fee and D(preview["total_debit"]) == D("250.00") + fee

    today = salary.json()["business_date"]
    url = f"/api/v1/accounts/{account['id']}/statement/"
    statement = app.get(url, {"date_from": today, "date_to": today})
    assert statement.status_code == 200, statement.content
    body = statement.json()
    expected = D("1000.00") - D("250.00") - fee
    assert D(body["closing_balance"]) == expected
    assert [line["balance"] for line in body["lines"]] == ["1000.00", str(expected)]
    assert D(body["lines"][1]["debit"]) == D("250.00") + fee
    assert account_balance(account_id=account["ledger_account_id"]).posted == expected
    assert verify_ledger().ok

    as_csv = app.get(url, {"date_from": today, "date_to": today, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows[-1][4] == "Closing balance" and D(rows[-1][8]) == expected
    as_pdf = app.get(url, {"date_from": today, "date_to": today}, HTTP_ACCEPT="application/pdf")
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF-")
    bad = app.get(url, {"date_from": today, "date_to": str(dt.date.fromisoformat(today) - dt.timedelta(days=1)),
                        "format": "csv"})
    assert_problem(bad, status=400, code="validation_error")


@pytest.mark.django_db(transaction=True)
def test_a_daily_limit_holds_when_eight_payments_race():
    bank = banking.setup_bank(currencies=("EUR",))
    limits.profile_create(code="TIGHT", name="Tight")
    banking.as_system(limits.rule_create, profile_code="TIGHT", currency="EUR", daily_amount=D("1000.00"))
    product = banking.product(bank, code="CUR", limit_profile_code="TIGHT")
    payer, payee = banking.account(banking.customer(), product), banking.account(banking.customer(), product)
    banking.fund(bank, payer, "5000.00")

    results = run_concurrently(lambda i: payments.payment_create(
        kind="internal_transfer", amount="300.00", currency="EUR", debtor_account_id=payer.pk,
        creditor_account_id=payee.pk, idempotency_key=f"race-{i}"))

    made = [r for status, r in results if status == "ok"]
    refused = [r for status, r in results if status == "error"]
    assert len(made) == 3 and len(refused) == WORKERS - 3
    assert all(isinstance(e, LimitExceeded) for e in refused), refused
    assert account_balance(account_id=payer.ledger_account_id).posted == D("4100.00")
    assert verify_ledger().ok
