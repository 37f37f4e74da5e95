"""The loan rules PostgreSQL enforces itself, proven with raw SQL that goes around the ORM."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from core_banking.loans import eod

pytestmark = pytest.mark.django_db


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(match: str, sql: str, params=(), error=IntegrityError):
    with pytest.raises(error, match=match), transaction.atomic():
        execute(sql, params)


def test_paid_never_exceeds_due(loan):
    for part in ("principal", "interest", "fees", "penalties"):
        refused(f"loans_instalment_{part}_paid_lte_due",
                f"UPDATE loans_instalment SET {part}_paid = {part}_due + 1 WHERE loan_id = %s AND number = 1",
                [loan.pk])


def test_instalment_numbers_and_due_dates_are_unique_per_loan(loan):
    refused("loans_instalment_number_unique",
            "UPDATE loans_instalment SET number = 1 WHERE loan_id = %s AND number = 2", [loan.pk])
    refused("loans_instalment_due_date_unique",
            "UPDATE loans_instalment SET period_start = period_start - 40, due_date = (SELECT due_date FROM "
            "loans_instalment WHERE loan_id = %s AND number = 1) WHERE loan_id = %s AND number = 2",
            [loan.pk, loan.pk])


def test_a_paid_instalment_is_settled_and_dated(loan):
    refused("loans_instalment_paid_is_settled",
            "UPDATE loans_instalment SET status = 'paid', paid_on = due_date WHERE loan_id = %s AND number = 1",
            [loan.pk])
    refused("loans_instalment_paid_has_date",
            "UPDATE loans_instalment SET status = 'paid', principal_paid = principal_due, interest_paid = "
            "interest_due WHERE loan_id = %s AND number = 1", [loan.pk])


def test_the_maker_is_never_the_checker_and_outstanding_stays_within_principal(loan):
    refused("loans_loan_maker_is_not_checker", "UPDATE loans_loan SET approved_by_id = applied_by_id WHERE id = %s",
            [loan.pk])
    refused("loans_loan_outstanding_within_principal",
            "UPDATE loans_loan SET principal_outstanding = principal + 1 WHERE id = %s", [loan.pk])
    refused("loans_loan_closed_is_settled", "UPDATE loans_loan SET status = 'repaid', closed_at = now() WHERE id = %s",
            [loan.pk])
    refused("loans_loan_status_valid", "UPDATE loans_loan SET status = 'lost' WHERE id = %s", [loan.pk])


def test_one_accrual_per_loan_and_day_and_one_late_fee_per_instalment(loan):
    eod.accrue(loan.start_date, loan.pk, loan.pk)
    refused("loans_accrual_one_per_day",
            "INSERT INTO loans_loanaccrual (loan_id, date, principal, rate, factor, amount, cumulative, posted, "
            "business_date, created_at) SELECT loan_id, date, principal, rate, factor, amount, cumulative, posted, "
            "business_date, now() FROM loans_loanaccrual WHERE loan_id = %s", [loan.pk])
    execute("INSERT INTO loans_latefee (instalment_id, loan_id, amount, business_date, days_past_due, created_at) "
            "SELECT id, loan_id, 15, due_date, 6, now() FROM loans_instalment WHERE loan_id = %s AND number = 1",
            [loan.pk])
    refused("loans_latefee_instalment_id_key|unique",
            "INSERT INTO loans_latefee (instalment_id, loan_id, amount, business_date, days_past_due, created_at) "
            "SELECT id, loan_id, 15, due_date, 7, now() FROM loans_instalment WHERE loan_id = %s AND number = 1",
            [loan.pk])


def test_history_and_accruals_are_append_only(loan):
    eod.accrue(loan.start_date, loan.pk, loan.pk)
    refused("append-only", "UPDATE loans_loanstatuschange SET reason = 'edited' WHERE loan_id = %s", [loan.pk],
            error=IntegrityError)
    refused("append-only", "DELETE FROM loans_loanaccrual WHERE loan_id = %s", [loan.pk], error=IntegrityError)


def test_the_allocation_order_is_a_permutation_and_buckets_ascend(loan_product):
    refused("loans_product_allocation_order_permutation",
            """UPDATE loans_loanproduct SET allocation_order = '["fees","fees","interest","principal"]'
               WHERE id = %s""",
            [loan_product.pk])
    refused("loans_product_allocation_order_permutation",
            """UPDATE loans_loanproduct SET allocation_order = '["fees","interest","principal"]' WHERE id = %s""",
            [loan_product.pk])
    refused("loans_product_bucket_boundaries_ascending",
            "UPDATE loans_loanproduct SET bucket_boundaries = '[30, 90, 60]' WHERE id = %s", [loan_product.pk])
    refused("loans_product_bucket_boundaries_ascending",
            """UPDATE loans_loanproduct SET bucket_boundaries = '["30"]' WHERE id = %s""", [loan_product.pk])
    execute("""UPDATE loans_loanproduct SET allocation_order = '["principal","interest","penalties","fees"]',
               bucket_boundaries = '[7, 30]' WHERE id = %s""", [loan_product.pk])
    refused("loans_product_rates_ordered", "UPDATE loans_loanproduct SET rate_min = rate_max + 0.01 WHERE id = %s",
            [loan_product.pk])


def test_a_repayment_key_is_unique_per_client_and_an_allocation_is_positive(loan, maker):
    from decimal import Decimal

    from core_banking.loans import services
    from tests.core_banking.loans.conftest import roll_to

    roll_to(loan.first_due_date)
    services.loan_repay(loan_id=loan.pk, amount=Decimal("10.00"), idempotency_key="k", actor=maker)
    refused("loans_repayment_idempotency",
            "INSERT INTO loans_repayment (loan_id, kind, amount, business_date, idempotency_scope, idempotency_key, "
            "request_hash, created_at) SELECT loan_id, kind, amount, business_date, idempotency_scope, "
            "idempotency_key, request_hash, now() FROM loans_repayment WHERE loan_id = %s", [loan.pk])
    refused("loans_repayment_amount_gt_0",
            "INSERT INTO loans_repayment (loan_id, kind, amount, business_date, idempotency_scope, idempotency_key, "
            "request_hash, created_at) VALUES (%s, 'repayment', 0, CURRENT_DATE, 'x', 'y', 'z', now())", [loan.pk])
