"""CSV import with a column mapping (bad lines reported, good ones load) and the database
invariants, proven with raw SQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from reconciliation.models import Match, MatchLine, Statement, StatementFile, StatementLine
from reconciliation.services import ReconciliationError, statement_import

from .conftest import external_account

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


# --- raw SQL: the database refuses what the services refuse --------------------------------

def _statement(account, frm, to, key="", balanced=True):
    record = StatementFile.objects.create(external_account=account, format="csv", file="x", sha256=f"{frm:%j}".ljust(
        64, "a") if key != "dup" else "b" * 64)
    return Statement.objects.create(file=record, external_account=account, format="csv", statement_key=key,
                                    period_from=frm, period_to=to, currency="EUR", opening_balance=0,
                                    closing_balance=0, computed_closing=0, balanced=balanced)


def _raw_fails(sql, params, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


INSERT = """INSERT INTO reconciliation_statement (file_id, external_account_id, format, statement_id, sequence,
            statement_key, position_in_file, period_from, period_to, currency, opening_balance, closing_balance,
            computed_closing, balanced, line_count, rejected_count, error_report, imported_at)
            VALUES (%s, %s, 'csv', '', '', %s, 1, %s, %s, 'EUR', 0, %s, %s, %s, 0, 0, '[]', now())"""


def test_raw_sql_overlapping_period_is_refused():
    account = external_account("NL00RAW0000000001")
    st = _statement(account, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    _raw_fails(INSERT, [st.file_id, account.pk, "", dt.date(2024, 1, 31), dt.date(2024, 2, 5), 0, 0, True],
               "rec_statement_no_overlap")
    other = external_account("NL00RAW0000000002")  # another account: the same period is fine
    with connection.cursor() as cur:
        cur.execute(INSERT, [st.file_id, other.pk, "", dt.date(2024, 1, 1), dt.date(2024, 1, 31), 0, 0, True])


def test_raw_sql_same_statement_key_is_refused():
    account = external_account("NL00RAW0000000001")
    st = _statement(account, dt.date(2024, 1, 1), dt.date(2024, 1, 1), key="STMT/1")
    _raw_fails(INSERT, [st.file_id, account.pk, "STMT/1", dt.date(2024, 3, 1), dt.date(2024, 3, 1), 0, 0, True],
               "rec_statement_key_unique")


def test_raw_sql_balanced_flag_must_agree_with_the_balances():
    account = external_account("NL00RAW0000000001")
    st = _statement(account, dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    _raw_fails(INSERT, [st.file_id, account.pk, "", dt.date(2024, 2, 1), dt.date(2024, 2, 1), 10, 9, True],
               "rec_statement_balanced_flag_true")
    _raw_fails(INSERT, [st.file_id, account.pk, "", dt.date(2024, 2, 1), dt.date(2024, 2, 1), 10, 10, False],
               "rec_statement_balanced_flag_true")
    _raw_fails(INSERT, [st.file_id, account.pk, "", dt.date(2024, 2, 2), dt.date(2024, 2, 1), 0, 0, True],
               "rec_statement_period_ordered")


def test_raw_sql_same_file_twice_is_refused():
    account = external_account("NL00RAW0000000001")
    st = _statement(account, dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    _raw_fails("""INSERT INTO reconciliation_statementfile (external_account_id, format, file, original_name, size,
                  sha256, imported_at, statement_count, line_count, rejected_count, error_report)
                  VALUES (%s, 'csv', 'y', '', 0, %s, now(), 0, 0, 0, '[]')""", [account.pk, st.file.sha256],
               "sha256")


def test_raw_sql_a_line_is_in_one_active_match_only():
    account = external_account("NL00RAW0000000001")
    st = _statement(account, dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    line = StatementLine.objects.create(statement=st, external_account=account, position=1,
                                        booking_date=dt.date(2024, 1, 1), value_date=dt.date(2024, 1, 1),
                                        amount=1, currency="EUR")
    first = Match.objects.create(external_account=account, rule="amount_date", state="matched",
                                 matched_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    second = Match.objects.create(external_account=account, rule="amount_date", state="matched",
                                  matched_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    MatchLine.objects.create(match=first, line=line, state="matched")
    sql = "INSERT INTO reconciliation_matchline (match_id, line_id, state) VALUES (%s, %s, %s)"
    _raw_fails(sql, [second.pk, line.pk, "matched"], "rec_matchline_one_active")
    with connection.cursor() as cur:  # a suggestion or an unmatched (audit) link may coexist
        cur.execute(sql, [second.pk, line.pk, "suggested"])
    _raw_fails("UPDATE reconciliation_match SET state = 'unmatched' WHERE id = %s", [first.pk],
               "rec_match_unmatched_has_time")
    _raw_fails("UPDATE reconciliation_statementline SET status = 'lost' WHERE id = %s", [line.pk],
               "rec_line_status_valid")
