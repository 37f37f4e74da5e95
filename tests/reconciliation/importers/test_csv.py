"""CSV import (``reconciliation/importers/csv.py``) with a column mapping: bad lines reported with
their positions while good ones load, missing columns refused, balances chained when the file has none."""

import datetime as dt
from decimal import Decimal

import pytest

from reconciliation.models import StatementFile
from reconciliation.services import ReconciliationError, statement_import
from tests.reconciliation.conftest import external_account

pytestmark = pytest.mark.django_db

GERMAN = {"date": "Buchungstag", "value_date": "Valuta", "amount": "Betrag", "reference": "Referenz",
          "counterparty_name": "Name", "description": "Verwendungszweck", "balance": "Saldo",
          "decimal": ",", "thousands": ".", "delimiter": ";", "date_format": "%d.%m.%Y"}

CSV = """Buchungstag;Valuta;Betrag;Referenz;Name;Verwendungszweck;Saldo
01.03.2024;01.03.2024;1.250,00;E2E-1;ACME GmbH;Rechnung 1;11.250,00
01.03.2024;02.03.2024;-50,25;E2E-2;Shop;Kauf;11.199,75
32.03.2024;02.03.2024;10,00;E2E-3;Bad date;x;11.209,75
02.03.2024;02.03.2024;zehn;E2E-4;Bad amount;x;11.209,75
02.03.2024;02.03.2024;;E2E-5;No amount;x;11.209,75
03.03.2024;03.03.2024;100,00;E2E-6;Good again;y;11.299,75
"""


def test_bad_csv_lines_are_reported_with_positions_while_good_lines_load():
    account = external_account("DE02120300000000202051", csv_mapping=GERMAN)
    result = statement_import(external_account=account, file=CSV.encode(), format="csv", actor=None)
    [statement] = result.statements
    assert statement.line_count == 3 and statement.rejected_count == 3
    reported = {e["position"]: e["reason"] for e in statement.error_report if e["position"]}
    assert set(reported) == {4, 5, 6}  # file line numbers (the header is line 1)
    assert "does not match" in reported[4] and "not a number" in reported[5] and "empty amount" in reported[6]
    lines = list(statement.lines.order_by("position"))
    assert [line.amount for line in lines] == [Decimal("1250.00"), Decimal("-50.25"), Decimal("100.00")]
    assert lines[1].value_date == dt.date(2024, 3, 2) and lines[0].counterparty_name == "ACME GmbH"
    # Balances from the running balance column: opening = first balance - first amount, closing =
    # the last balance; the good lines account for the movement (the bad rows moved nothing here).
    assert statement.opening_balance == Decimal("10000.00")
    assert statement.closing_balance == Decimal("11299.75")
    assert statement.computed_closing == Decimal("11299.75")
    assert statement.balanced
    assert (statement.period_from, statement.period_to) == (dt.date(2024, 3, 1), dt.date(2024, 3, 3))


def test_csv_missing_column_is_refused():
    account = external_account("DE02120300000000202051", csv_mapping={**GERMAN, "amount": "Amount"})
    with pytest.raises(ReconciliationError) as error:
        statement_import(external_account=account, file=CSV.encode(), format="csv", actor=None)
    assert error.value.code == "csv_columns_missing"
    assert not StatementFile.objects.exists()


def test_csv_without_balances_chains_from_the_previous_statement():
    account = external_account("NL00CSV0000000001", csv_mapping={"date": "d", "amount": "a"})
    first = statement_import(external_account=account, file=b"d,a\n2024-01-01,10.00\n2024-01-02,5.00\n",
                             format="csv", actor=None).statements[0]
    second = statement_import(external_account=account, file=b"d,a\n2024-01-03,-3.00\n", format="csv",
                              actor=None).statements[0]
    assert (first.opening_balance, first.closing_balance) == (0, Decimal("15.00"))
    assert (second.opening_balance, second.closing_balance) == (Decimal("15.00"), Decimal("12.00"))
