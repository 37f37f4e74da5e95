"""The end-of-day contract: accrual (set-based, idempotent, matching daycount exactly) and
due-date processing (collection, days past due, buckets, arrears, late fees once)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core_banking.interest.daycount import year_fraction
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import services as ledger
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.loans import accrual, eod, services
from core_banking.loans.models import DueRun, Instalment, LateFee, Loan, LoanAccrual, LoanStatusChange

from .conftest import roll_to, running_loan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
D = Decimal
ONE_DAY = dt.timedelta(days=1)


def drain(bank, account, leave: str = "0.00") -> None:
    posted = account_balance(account_id=account.ledger_account_id).posted
    if posted - D(leave) > 0:
        ledger.transfer(debit_account_id=account.ledger_account_id, credit_account_id=bank.cash["EUR"].pk,
                        amount=posted - D(leave), idempotency_key=f"drain-{account.pk}-{posted}")


def test_accrual_catches_up_every_day_not_accrued_and_matches_python_exactly(loan):
    through = loan.start_date + dt.timedelta(days=3)  # e.g. a weekend: one end of day catches up four days

    written = eod.accrue(through, loan.pk, loan.pk)

    rows = list(LoanAccrual.objects.filter(loan=loan).order_by("date"))
    assert written == 4 and [r.date for r in rows] == [loan.start_date + i * ONE_DAY for i in range(4)]
    expected = accrual.expected_rows(principal=D("10000.00"), rate=D("0.12"), convention="30_360_isda",
                                     anchors=[loan.start_date], days=[r.date for r in rows], exponent=2)
    assert [(r.amount, r.cumulative, r.posted) for r in rows] == [(a, c, p) for _, _, a, c, p in expected]
    assert sum(r.posted for r in rows) == D("13.33")  # round(10,000 * 0.12 * 4/360)
    assert Loan.objects.get(pk=loan.pk).status == "active"  # activated by its first end of day
    assert LoanStatusChange.objects.filter(loan=loan, action="activate").count() == 1
    assert account_balance(account_id=interest_accounts("EUR").receivable.pk).posted == D("13.33")


def test_a_rerun_writes_nothing_and_posts_nothing(loan):
    eod.accrue(loan.start_date, loan.pk, loan.pk)
    entries = JournalEntry.objects.count()

    assert eod.accrue(loan.start_date, loan.pk, loan.pk) == 0
    assert JournalEntry.objects.count() == entries


def test_a_period_accrues_exactly_the_scheduled_interest(loan):
    first = loan.instalments.get(number=1)
    through = first.due_date - ONE_DAY

    eod.accrue(through, loan.pk, loan.pk)

    rows = LoanAccrual.objects.filter(loan=loan)
    total = sum(r.amount for r in rows)
    exact = D("10000.00") * D("0.12") * year_fraction("30_360_isda", first.period_start, first.due_date)
    assert abs(total - exact) < D("1e-15")
    assert sum(r.posted for r in rows) == first.interest_due == D("100.00")


def test_one_chunk_is_a_few_statements_and_one_entry_per_currency(start, loan_product, ada, current_account, maker,
                                                                  checker, bank):
    loans = [running_loan(product=loan_product, customer=ada, account=current_account, maker=maker,
                          checker=checker, principal=amount) for amount in ("1000.00", "2000.00", "3000.00")]
    first_id, last_id = loans[0].pk, loans[-1].pk
    assert list(eod.accrue_population(start)) == [loan.pk for loan in loans]
    entries = JournalEntry.objects.count()
    interest_accounts("EUR")  # the GL accounts exist (created on first use)

    with CaptureQueriesContext(connection) as queries:
        written = eod.accrue(start + 2 * ONE_DAY, first_id, last_id)

    assert written == 9 and JournalEntry.objects.count() == entries + 1
    inserts = [q for q in queries.captured_queries if "INSERT INTO loans_loanaccrual" in q["sql"]]
    assert len(inserts) == 1
    assert len(queries.captured_queries) < 25, [q["sql"][:60] for q in queries.captured_queries]


def test_due_processing_collects_what_is_due(loan, current_account):
    first = loan.instalments.get(number=1)
    roll_to(first.due_date)

    assert list(eod.due_population(first.due_date)) == [loan.pk]
    assert eod.process_due(first.due_date, loan.pk, loan.pk) == 1
    assert eod.process_due(first.due_date, loan.pk, loan.pk) == 0  # once per loan and date

    first.refresh_from_db()
    assert (first.status, first.paid_on) == ("paid", first.due_date)
    assert account_balance(account_id=current_account.ledger_account_id).posted == D("10111.51")
    assert list(eod.due_population(first.due_date)) == []
    call_command("verify_ledger")


def test_days_past_due_buckets_arrears_and_one_late_fee(loan, current_account, bank):
    drain(bank, current_account, leave="50.00")
    first = loan.instalments.get(number=1)
    seen = {}
    for offset in (0, 1, 5, 6, 7, 31, 61, 91):
        day = first.due_date + offset * ONE_DAY
        roll_to(day)
        eod.process_due(day, loan.pk, loan.pk)
        current = Loan.objects.get(pk=loan.pk)
        seen[offset] = (current.days_past_due, current.delinquency_bucket, current.status,
                        LateFee.objects.filter(instalment=first).count())

    assert seen[0] == (0, "current", "disbursed", 0)  # due today, 50.00 collected, not late yet
    assert seen[1] == (1, "1-30", "in_arrears", 0)
    assert seen[5] == (5, "1-30", "in_arrears", 0)  # within the 5 grace days
    assert seen[6] == (6, "1-30", "in_arrears", 1)  # late fee charged once ...
    assert seen[7][3] == 1  # ... and never again
    assert seen[31][:2] == (31, "31-60") and seen[61][:2] == (61, "61-90") and seen[91][:2] == (91, "90+")
    first.refresh_from_db()
    assert (first.penalties_due, first.status) == (D("15.00"), "overdue")
    # Instalment 2 (due a month after the first) got its own late fee.
    assert LateFee.objects.filter(loan=loan).count() == 3  # instalments 1, 2 and 3; 4 is within its grace days
    assert DueRun.objects.filter(loan=loan).count() == 8


def test_repaying_the_arrears_brings_the_loan_back_to_active(loan, current_account, bank, maker):
    drain(bank, current_account)
    first = loan.instalments.get(number=1)
    day = first.due_date + 10 * ONE_DAY
    roll_to(day)
    eod.process_due(day, loan.pk, loan.pk)
    assert Loan.objects.get(pk=loan.pk).status == "in_arrears"
    banking_fund(bank, current_account, "903.49")

    services.loan_repay(loan_id=loan.pk, amount=D("903.49"), idempotency_key="cure", actor=maker)

    loan.refresh_from_db()
    assert (loan.status, loan.days_past_due, loan.delinquency_bucket) == ("active", 0, "current")
    first.refresh_from_db()
    assert first.status == "paid" and first.penalties_paid == D("15.00")


def test_accrual_and_due_processing_through_a_whole_loan(start, loan_product, ada, current_account, maker, checker,
                                                         bank):
    loan = running_loan(product=loan_product, customer=ada, account=current_account, maker=maker, checker=checker,
                        principal="1200.00", term=3)
    banking_fund(bank, current_account, "100.00")
    day = start
    last_due = loan.instalments.get(number=3).due_date
    while day <= last_due:
        if day.weekday() < 5:  # no end of day on weekends: the next one catches up
            roll_to(day)
            eod.accrue(day, loan.pk, loan.pk)
            eod.process_due(day, loan.pk, loan.pk)
        day += ONE_DAY

    loan.refresh_from_db()
    assert loan.status == "repaid" and loan.principal_outstanding == 0
    assert set(loan.instalments.values_list("status", flat=True)) == {"paid"}
    accounts = interest_accounts("EUR")
    assert account_balance(account_id=accounts.receivable.pk).posted == 0  # trued up at closing
    paid_interest = sum(i.interest_paid for i in loan.instalments.all())
    assert account_balance(account_id=accounts.income.pk).posted == paid_interest
    call_command("verify_ledger")


def test_a_thirty_day_month_and_a_thirty_one_day_month_accrue_the_same_under_30_360(loan):
    instalments = list(loan.instalments.order_by("number")[:3])
    eod.accrue(instalments[2].due_date - ONE_DAY, loan.pk, loan.pk)
    for instalment in instalments[1:]:
        rows = LoanAccrual.objects.filter(loan=loan, date__gte=instalment.period_start, date__lt=instalment.due_date)
        fraction = sum(r.factor for r in rows)
        assert abs(fraction - D(1) / D(12)) < D("1e-16")  # a 30/360 month, whether it has 28, 30 or 31 days


def banking_fund(bank, account, amount):
    from tests import banking

    banking.fund(bank, account, amount)


def test_a_frozen_account_is_not_collected_from(loan, current_account):
    from core_banking.accounts.services import account_transition

    account_transition(account_id=current_account.pk, action="freeze", reason="test")
    first = loan.instalments.get(number=1)
    roll_to(first.due_date + ONE_DAY)

    assert eod.process_due(first.due_date + ONE_DAY, loan.pk, loan.pk) == 1
    assert Instalment.objects.get(pk=first.pk).principal_paid == 0
    assert Loan.objects.get(pk=loan.pk).status == "in_arrears"


def test_the_python_twin_for_sqlite_writes_the_same_rows_as_the_sql(start, loan_product, ada, current_account, maker,
                                                                     checker):
    by_sql, by_python = (running_loan(product=loan_product, customer=ada, account=current_account, maker=maker,
                                      checker=checker, principal="7777.77") for _ in range(2))
    through = start + 40 * ONE_DAY  # across a due date: a new anchor

    accrual._accrue_sql(business_date=through, first_id=by_sql.pk, last_id=by_sql.pk, through=through)
    totals = accrual._accrue_python(business_date=through, first_id=by_python.pk, last_id=by_python.pk,
                                    through=through)

    def rows(loan):
        return list(LoanAccrual.objects.filter(loan=loan).order_by("date")
                    .values_list("date", "factor", "amount", "cumulative", "posted"))

    assert len(rows(by_sql)) == 41 and rows(by_sql) == rows(by_python)
    assert totals == {"EUR": (41, sum(r[4] for r in rows(by_python)))}
