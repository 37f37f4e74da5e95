"""The reconciliation demo loader (``reconciliation.demo``): the camt.053 it writes reads back
through the importer as the bank meant it, and with nothing closed yet it loads nothing. (The
whole demo, matched and aged, is checked on the seeded demo bank by
``tests/backoffice/staff/test_dashboard_demo.py``.)"""

import datetime as dt
import io
from decimal import Decimal

import pytest

from reconciliation import demo
from reconciliation.importers import camt053
from reconciliation.models import ExternalAccount

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = dt.date(2024, 3, 11), dt.date(2024, 3, 12)
IBAN = "NL59CBNK9999999999"


def test_the_statement_it_writes_reads_back_through_the_importer():
    document = demo._Camt053(message_id="DNB-TEST")
    batch = {"amount": Decimal("-150.25"), "bank_reference": "T2-CBNK-1", "message_id": "CBNK-SEPA_CT-1",
             "info": "SEPA credit transfers, file CBNK-SEPA_CT-1", "transactions": [
                 {"end_to_end_id": "E2E-1", "amount": Decimal("100.00"), "name": "Albert Heijn",
                  "iban": "NL02ABNA0417164300", "remittance": "Order 1"},
                 {"end_to_end_id": "PAY0001", "amount": Decimal("50.25"), "name": "Eneco", "iban": "NL91INGB0705005100",
                  "remittance": ""}]}
    incoming = {"amount": Decimal("2400.00"), "bank_reference": "T2-IN-1", "transactions": [
        {"end_to_end_id": "", "amount": Decimal("2400.00"), "name": "Rijksoverheid", "iban": "NL55INGB0000012131",
         "remittance": "Salaris"}]}
    fee = {"amount": Decimal("-0.70"), "bank_reference": "T2-FEE-202403", "domain": "ACMT", "family": "MDOP",
           "sub_family": "CHRG", "info": "TARGET2 and clearing fees March 2024: 2 transactions"}
    closing = document.statement(statement_id="S-1", sequence=1, iban=IBAN, bic=demo.CLEARING_BIC, currency="EUR",
                                 day=MONDAY, opening=Decimal("1000.00"), entries=[batch, incoming, fee])
    document.statement(statement_id="S-2", sequence=2, iban=IBAN, bic=demo.CLEARING_BIC, currency="EUR",
                       day=TUESDAY, opening=closing, entries=[])

    first, second = camt053.parse(document.bytes())

    assert closing == Decimal("3249.05")
    assert (first.account_identifier, first.currency, first.period_from, first.period_to) == (
        IBAN, "EUR", MONDAY, MONDAY)
    assert (first.opening_balance, first.closing_balance, first.computed_closing) == (
        Decimal("1000.00"), closing, closing)
    assert [(line.amount, line.reference, line.counterparty_name) for line in first.lines] == [
        (Decimal("-100.00"), "E2E-1", "Albert Heijn"), (Decimal("-50.25"), "PAY0001", "Eneco"),
        (Decimal("2400.00"), "", "Rijksoverheid"), (Decimal("-0.70"), "", "")]
    assert first.lines[3].description.startswith("TARGET2 and clearing fees")
    assert not first.errors
    assert (second.period_from, second.opening_balance, second.closing_balance, second.lines) == (
        TUESDAY, closing, closing, [])


def test_with_no_closed_business_date_it_loads_nothing():
    out = io.StringIO()

    demo.load_demo(stdout=out)

    assert "nothing loaded" in out.getvalue()
    assert not ExternalAccount.objects.exists()
