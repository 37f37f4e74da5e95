"""Customer statements: JSON data, CSV and PDF, agreeing with the ledger."""

import csv
import io
from decimal import Decimal

import pytest

from core_banking.accounts.statements import StatementTooLong, account_statement, statement_csv, statement_pdf
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import business_date_open
from core_banking.ledger.verify import verify_ledger
from core_banking.payments import services
from tests import banking

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    services.payment_create(kind="cash_deposit", amount="500.00", currency="EUR", creditor_account_id=a.pk,
                            idempotency_key="d")
    services.payment_create(kind="outgoing", amount="120.00", currency="EUR", debtor_account_id=a.pk,
                            counterparty_iban="DE89370400440532013000", counterparty_name="=HYPERLINK(evil)",
                            remittance_info="Rent", idempotency_key="o")
    services.payment_create(kind="internal_transfer", amount="30.50", currency="EUR", debtor_account_id=a.pk,
                            creditor_account_id=b.pk, remittance_info="Chloé's café", idempotency_key="t")
    return a, b


def test_statement_has_opening_running_and_closing_balances(history):
    a, _ = history
    today = business_date_open()
    statement = account_statement(account_id=a.pk, date_from=today, date_to=today)
    assert statement.opening_balance == Decimal("0.00")
    assert [line.balance for line in statement.lines] == [Decimal("500.00"), Decimal("380.00"), Decimal("349.50")]
    assert [(line.debit, line.credit) for line in statement.lines] == [
        (Decimal("0.00"), Decimal("500.00")), (Decimal("120.00"), Decimal("0.00")), (Decimal("30.50"), Decimal("0.00"))]
    assert statement.closing_balance == account_balance(account_id=a.ledger_account_id).posted
    assert statement.lines[1].reference.startswith("PAY") and statement.lines[1].counterparty == "=HYPERLINK(evil)"
    assert verify_ledger().ok


def test_csv_has_opening_and_closing_rows_and_defuses_formulas(history):
    a, _ = history
    today = business_date_open()
    rows = list(csv.reader(io.StringIO(statement_csv(account_statement(account_id=a.pk, date_from=today,
                                                                         date_to=today)))))
    assert rows[0][:3] == ["booked_at", "business_date", "value_date"]
    assert rows[1][4] == "Opening balance" and rows[1][8] == "0.00"
    assert rows[-1][4] == "Closing balance" and rows[-1][8] == "349.50" and rows[-1][6] == "150.50"
    assert rows[3][5] == "'=HYPERLINK(evil)"
    assert len(rows) == 1 + 1 + 3 + 1  # header, opening, three movements, closing


def test_pdf_renders_with_accents(history):
    a, _ = history
    today = business_date_open()
    pdf = statement_pdf(account_statement(account_id=a.pk, date_from=today, date_to=today))
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    assert f"/Title (Statement {a.iban} {today} to {today})".encode() in pdf


def test_a_period_too_long_for_one_document_is_refused(history):
    a, _ = history
    today = business_date_open()
    statement = account_statement(account_id=a.pk, date_from=today, date_to=today, max_lines=2)
    assert statement.truncated
    with pytest.raises(StatementTooLong):
        statement_csv(statement)
