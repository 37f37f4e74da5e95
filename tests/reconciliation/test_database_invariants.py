"""The reconciliation tables' invariants, proven with raw SQL: the database refuses what the
services refuse (overlapping periods, a statement or file imported twice, a balanced flag that
disagrees with the balances, a line in two active matches)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from reconciliation.models import Match, MatchLine, Statement, StatementFile, StatementLine
from tests.reconciliation.conftest import external_account

pytestmark = pytest.mark.django_db


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
