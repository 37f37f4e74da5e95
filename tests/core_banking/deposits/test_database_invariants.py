"""The deposit tables refuse, by themselves, rows that the services would never write."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from core_banking.deposits import eod, services
from tests import banking
from tests.core_banking.deposits.conftest import open_deposit, set_business_date

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def deposit(bank, funding, td_product):
    set_business_date(D(2025, 1, 15))
    deposit = open_deposit(td_product, funding, amount="1000.00", term=6)
    set_business_date(D(2025, 1, 20))
    eod.accrue(D(2025, 1, 20), deposit.pk, deposit.pk)
    return deposit


def _raw(sql: str, params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(("assignment", "constraint"), [
    ("principal = 0", "deposit_principal_positive"),
    ("rate = 1", "deposit_rate_0_1"),
    ("rate = -0.01", "deposit_rate_0_1"),
    ("withholding_tax_rate = 1", "deposit_withholding_0_1"),
    ("penalty_rate = 1.5", "deposit_penalty_rate_0_1"),
    ("convention = 'act_364'", "deposit_convention_valid"),
    ("term_unit = 'weeks'", "deposit_term_unit_valid"),
    ("instruction = 'gamble'", "deposit_instruction_valid"),
    ("status = 'lost', closed_on = start_date, closed_at = now(), interest_paid = 0, tax_withheld = 0,"
     " penalty = 0, payout_amount = 0", "deposit_status_valid"),
    ("term = 0", "deposit_term_positive"),
    ("maturity_date = start_date, accrued_through = NULL", "deposit_matures_after_start"),
    ("funding_account_id = account_id", "deposit_accounts_distinct"),
    ("predecessor_id = id", "deposit_not_its_own_predecessor"),
    ("accrued_interest = -1", "deposit_accrued_not_negative"),
    ("accrued_through = maturity_date", "deposit_accrued_within_term"),
    ("accrued_through = start_date - 1", "deposit_accrued_within_term"),
    ("status = 'matured'", "deposit_settlement_by_status"),  # settled without its figures
    ("closed_on = start_date", "deposit_settlement_by_status"),  # active with a settlement date
    ("penalty = 1", "deposit_penalty_only_early"),
    ("opening_entry_id = NULL", "deposit_funded"),
    ("early_withdrawal_allowed = false, status = 'withdrawn_early', closed_on = start_date, closed_at = now(),"
     " interest_paid = 0, tax_withheld = 0, penalty = 0, payout_amount = 0", "deposit_early_withdrawal_allowed"),
])
def test_raw_updates_of_a_deposit_that_break_a_rule_are_refused(deposit, assignment, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        _raw(f"UPDATE deposits_termdeposit SET {assignment} WHERE id = %s", [deposit.pk])


def test_an_account_carries_one_active_deposit_and_a_key_is_used_once(deposit, ada, current_product):
    columns = ("number, customer_id, product_id, account_id, funding_account_id, currency_id, principal, rate,"
               " convention, term_unit, term, start_date, maturity_date, instruction, withholding_tax_rate,"
               " early_withdrawal_allowed, penalty_days, penalty_rate, penalty_may_touch_principal, status,"
               " status_reason, accrued_interest, accrued_posted, opening_entry_id, idempotency_scope,"
               " idempotency_key, request_hash, created_at")
    # A copy with its own number and account, and the key and account as parameters.
    copy = columns.replace("number,", "'TDCOPY',").replace(" account_id,", " %s,").replace("idempotency_key,", "%s,")
    sql = f"INSERT INTO deposits_termdeposit ({columns}) SELECT {copy} FROM deposits_termdeposit WHERE id = %s"
    with pytest.raises(IntegrityError, match="deposit_one_active_per_account"):
        _raw(sql, [deposit.account_id, "another-key", deposit.pk])
    other = banking.account(ada, current_product)
    with pytest.raises(IntegrityError, match="deposit_idempotency"):
        _raw(sql, [other.pk, deposit.idempotency_key, deposit.pk])
    _raw(sql, [other.pk, "another-key", deposit.pk])  # the copy itself is a valid row


def test_a_history_row_records_a_change(deposit):
    with pytest.raises(IntegrityError, match="deposit_history_changes_status"):
        _raw("INSERT INTO deposits_depositstatuschange (deposit_id, from_status, to_status, reason, at)"
             " VALUES (%s, 'active', 'active', '', now())", [deposit.pk])


_ACCRUAL = ("INSERT INTO deposits_depositaccrual (deposit_id, accrual_date, business_date, principal, rate,"
            " convention, daily_factor, amount, created_at) VALUES (%s, %s, %s, 1000, 0.03, 'act_365f', %s, %s, now())")


@pytest.mark.parametrize(("day", "factor", "amount", "error", "match"), [
    (D(2025, 1, 16), "0.0027", "0.08", IntegrityError, "deposit_accrual_one_per_day"),
    (D(2025, 1, 21), "0.0027", "-0.01", IntegrityError, "deposit_accrual_amount_not_negative"),
    (D(2025, 1, 21), "1", "0.01", IntegrityError, "deposit_accrual_factor_0_1"),
    (D(2025, 1, 14), "0.0027", "0.08", IntegrityError, "outside its deposit's active term"),
    (D(2025, 7, 15), "0.0027", "0.08", IntegrityError, "outside its deposit's active term"),
])
def test_raw_accrual_rows_that_break_a_rule_are_refused(deposit, day, factor, amount, error, match):
    with pytest.raises(error, match=match):
        _raw(_ACCRUAL, [deposit.pk, day, D(2025, 7, 20), factor, amount])


def test_an_accrual_cannot_be_written_ahead_of_its_end_of_day(deposit):
    with pytest.raises(IntegrityError, match="deposit_accrual_not_in_advance"):
        _raw(_ACCRUAL, [deposit.pk, D(2025, 1, 25), D(2025, 1, 24), "0.0027", "0.08"])


def test_a_settled_deposit_accrues_no_more_rows(deposit):
    services.deposit_withdraw_early(deposit_id=deposit.pk, reason="customer request")
    with pytest.raises(IntegrityError, match="outside its deposit's active term"):
        _raw(_ACCRUAL, [deposit.pk, D(2025, 1, 25), D(2025, 1, 25), "0.0027", "0.08"])


@pytest.mark.parametrize("statement", [
    "UPDATE deposits_depositaccrual SET amount = amount + 1 WHERE deposit_id = %s",
    "DELETE FROM deposits_depositaccrual WHERE deposit_id = %s",
    "UPDATE deposits_depositstatuschange SET reason = 'edited' WHERE deposit_id = %s",
    "DELETE FROM deposits_depositstatuschange WHERE deposit_id = %s",
])
def test_accruals_and_history_are_append_only(deposit, statement):
    # the history has the shared trigger (core_banking/common/history.py), the accruals their own
    with pytest.raises(DatabaseError, match="append-only|Cannot update or delete"):
        _raw(statement, [deposit.pk])
